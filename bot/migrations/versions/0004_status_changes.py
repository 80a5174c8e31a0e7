"""status changes of callbacks and pledges, made by staff (the audit shown on each request)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('status_changes',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('callback_id', Id, nullable=True),
    sa.Column('pledge_id', Id, nullable=True),
    sa.Column('account_id', Id, nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(callback_id IS NULL) <> (pledge_id IS NULL)', name=op.f('ck_status_changes_one_request')),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_status_changes_account_id_staff_accounts')),
    sa.ForeignKeyConstraint(['callback_id'], ['callback_requests.id'], name=op.f('fk_status_changes_callback_id_callback_requests')),
    sa.ForeignKeyConstraint(['pledge_id'], ['mask_pledges.id'], name=op.f('fk_status_changes_pledge_id_mask_pledges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_changes'))
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index('ix_status_changes_callback_id', ['callback_id'], unique=False)
        batch_op.create_index('ix_status_changes_pledge_id', ['pledge_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_status_changes_pledge_id')
        batch_op.drop_index('ix_status_changes_callback_id')
    op.drop_table('status_changes')
