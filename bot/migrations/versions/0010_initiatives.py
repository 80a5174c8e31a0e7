"""initiatives: solidarity initiatives, the communes each serves, and the history of their steps

Revision ID: 0010
Revises: 0009

"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('initiatives',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('audience', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('contact_consent_text', sa.Text(), nullable=False),
    sa.Column('contact_consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('retired_reason', sa.Text(), nullable=True),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_initiatives_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiatives'))
    )
    with op.batch_alter_table('initiatives', schema=None) as batch_op:
        batch_op.create_index('ix_initiatives_status', ['status'], unique=False)

    op.create_table('initiative_communes',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('initiative_id', Id, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('commune_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_initiative_communes_initiative_id_initiatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_communes')),
    sa.UniqueConstraint('initiative_id', 'commune_code', name=op.f('uq_initiative_communes_initiative_id_commune_code'))
    )
    with op.batch_alter_table('initiative_communes', schema=None) as batch_op:
        batch_op.create_index('ix_initiative_communes_commune_code', ['commune_code'], unique=False)

    op.create_table('initiative_events',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('initiative_id', Id, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_initiative_events_account_id_staff_accounts')),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiatives.id'], name=op.f('fk_initiative_events_initiative_id_initiatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_events'))
    )
    with op.batch_alter_table('initiative_events', schema=None) as batch_op:
        batch_op.create_index('ix_initiative_events_initiative_id', ['initiative_id'], unique=False)


def downgrade() -> None:
    op.drop_table('initiative_events')
    op.drop_table('initiative_communes')
    op.drop_table('initiatives')
