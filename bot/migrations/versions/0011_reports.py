"""reports: the barometer's answers, the artisans' profiles for the figures, the weekly report's mailings, and
the partner role with its territory

Revision ID: 0011
Revises: 0010

"""

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('barometer_answers',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.Column('activity', sa.String(length=16), nullable=False),
    sa.Column('need', sa.String(length=24), nullable=True),
    sa.Column('trade_category', sa.String(length=16), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_barometer_answers'))
    )
    with op.batch_alter_table('barometer_answers', schema=None) as batch_op:
        batch_op.create_index('ix_barometer_answers_answered_on', ['answered_on'], unique=False)

    op.create_table('report_mailings',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('account_id', Id, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_report_mailings_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_mailings')),
    sa.UniqueConstraint('week_start', 'account_id', name=op.f('uq_report_mailings_week_start_account_id'))
    )
    op.create_table('artisan_profiles',
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('trade_category', sa.String(length=16), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('barometer_asked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_artisan_profiles_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_artisan_profiles'))
    )
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('territory', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('territory_label', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('weekly_report', sa.Boolean(), server_default='0', nullable=False))
        batch_op.drop_constraint(op.f('ck_staff_accounts_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_staff_accounts_role'), "role IN ('agent', 'admin', 'partner')")



def downgrade() -> None:
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_staff_accounts_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_staff_accounts_role'), "role IN ('agent', 'admin')")
        batch_op.drop_column('weekly_report')
        batch_op.drop_column('territory_label')
        batch_op.drop_column('territory')

    op.drop_table('artisan_profiles')
    op.drop_table('report_mailings')
    with op.batch_alter_table('barometer_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_barometer_answers_answered_on')

    op.drop_table('barometer_answers')
