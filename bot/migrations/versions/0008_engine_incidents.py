"""engine incidents: the artisan messages Rasa misbehaved on, found again in the messages of the past

Revision ID: 0008
Revises: 0007

Before the resume of a hand-off ended its turn (issue 19), the next message of every conversation given back
by an adviser was answered with the same fallback bubble nine times. Those messages are recorded here, so the
admins' inbox stops listing them as not understood.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('engine_incidents',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('message_id', Id, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_engine_incidents_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_engine_incidents_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engine_incidents')),
    sa.UniqueConstraint('message_id', name=op.f('uq_engine_incidents_message_id'))
    )
    with op.batch_alter_table('engine_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_engine_incidents_at', ['at'], unique=False)
    # Messages answered with the same bot text more than once: the loop's traces.
    op.execute(
        "INSERT INTO engine_incidents (message_id, conversation_id, kind, at) "
        "SELECT reply_to_id, MIN(conversation_id), 'repeated', MIN(created_at) FROM messages "
        "WHERE direction = 'out' AND author = 'bot' AND reply_to_id IS NOT NULL AND text IS NOT NULL "
        "GROUP BY reply_to_id HAVING COUNT(text) > COUNT(DISTINCT text)"
    )


def downgrade() -> None:
    with op.batch_alter_table('engine_incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_engine_incidents_at')
    op.drop_table('engine_incidents')
