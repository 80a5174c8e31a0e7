"""callback requests and mask pledges

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('trade', sa.String(length=200), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('commune_name', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('preferred_time', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('assigned_to_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['staff_accounts.id'], name=op.f('fk_callback_requests_assigned_to_id_staff_accounts')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_callback_requests_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_requests')),
    sa.UniqueConstraint('conversation_id', 'idempotency_key', name=op.f('uq_callback_requests_conversation_id_idempotency_key'))
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index('ix_callback_requests_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('mask_pledges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('mask_type', sa.String(length=16), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('commune_name', sa.String(length=200), nullable=False),
    sa.Column('delivery', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_mask_pledges_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mask_pledges')),
    sa.UniqueConstraint('conversation_id', 'idempotency_key', name=op.f('uq_mask_pledges_conversation_id_idempotency_key'))
    )


def downgrade() -> None:
    op.drop_table('mask_pledges')
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_requests_status_due_at')

    op.drop_table('callback_requests')
