"""the hand-off to advisers: its state on conversations, its audit, advisers' notes and canned answers

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('conversations') as batch:
        batch.add_column(sa.Column('handoff_reason', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('priority', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('agent_id', Id, nullable=True))
        batch.add_column(sa.Column('acknowledged', sa.Boolean(), server_default='0', nullable=False))
        batch.create_foreign_key(
            op.f('fk_conversations_agent_id_staff_accounts'), 'staff_accounts', ['agent_id'], ['id']
        )
    op.create_index('ix_conversations_state', 'conversations', ['state'])
    op.create_table('handoff_events',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_handoff_events_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_handoff_events_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_events'))
    )
    op.create_index('ix_handoff_events_conversation_id', 'handoff_events', ['conversation_id'])
    op.create_table('conversation_notes',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', Id, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_notes_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_conversation_notes_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_notes'))
    )
    op.create_index('ix_conversation_notes_conversation_id', 'conversation_notes', ['conversation_id'])
    op.create_table('canned_answers',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_by', Id, nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_accounts.id'], name=op.f('fk_canned_answers_updated_by_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_answers'))
    )


def downgrade() -> None:
    op.drop_table('canned_answers')
    op.drop_index('ix_conversation_notes_conversation_id', table_name='conversation_notes')
    op.drop_table('conversation_notes')
    op.drop_index('ix_handoff_events_conversation_id', table_name='handoff_events')
    op.drop_table('handoff_events')
    op.drop_index('ix_conversations_state', table_name='conversations')
    with op.batch_alter_table('conversations') as batch:
        batch.drop_constraint(op.f('fk_conversations_agent_id_staff_accounts'), type_='foreignkey')
        batch.drop_column('acknowledged')
        batch.drop_column('agent_id')
        batch.drop_column('waiting_since')
        batch.drop_column('priority')
        batch.drop_column('handoff_reason')
