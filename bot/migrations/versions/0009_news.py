"""news: subscriptions with their consent, news items, each recipient's send, and the outbox's lane of a message

Revision ID: 0009
Revises: 0008

"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('subscriptions',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('commune_name', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_subscriptions_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_subscriptions_conversation_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_active', ['active'], unique=False)

    op.create_table('news_items',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('topic', sa.String(length=64), nullable=True),
    sa.Column('audience_communes', sa.JSON(), nullable=False),
    sa.Column('audience_topic', sa.String(length=64), nullable=True),
    sa.Column('audience_channels', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_news_items_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_items'))
    )
    with op.batch_alter_table('news_items', schema=None) as batch_op:
        batch_op.create_index('ix_news_items_status', ['status'], unique=False)

    op.create_table('news_deliveries',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('news_id', Id, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('message_id', Id, nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_news_deliveries_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_news_deliveries_message_id_messages')),
    sa.ForeignKeyConstraint(['news_id'], ['news_items.id'], name=op.f('fk_news_deliveries_news_id_news_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_deliveries')),
    sa.UniqueConstraint('news_id', 'conversation_id', name=op.f('uq_news_deliveries_news_id_conversation_id'))
    )
    with op.batch_alter_table('news_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_news_deliveries_news_id_state', ['news_id', 'state'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('lane')
    op.drop_table('news_deliveries')
    op.drop_table('news_items')
    op.drop_table('subscriptions')
