"""barometer reach: a news item may carry the barometer's question; a conversation asked it by a broadcast, its
commune asked once, and the answer waiting for that commune

Revision ID: 0012
Revises: 0011

"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('news_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barometer', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('news_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barometer', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('artisan_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barometer_news_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('commune_asked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pending_answer_id', Id, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('artisan_profiles', schema=None) as batch_op:
        batch_op.drop_column('pending_answer_id')
        batch_op.drop_column('commune_asked_at')
        batch_op.drop_column('barometer_news_at')
    with op.batch_alter_table('news_deliveries', schema=None) as batch_op:
        batch_op.drop_column('barometer')
    with op.batch_alter_table('news_items', schema=None) as batch_op:
        batch_op.drop_column('barometer')
