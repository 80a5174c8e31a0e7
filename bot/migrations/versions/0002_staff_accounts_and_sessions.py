"""staff accounts, their sessions, and failed logins

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('staff_accounts',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('agent', 'admin')", name=op.f('ck_staff_accounts_role')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_staff_accounts_email_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_accounts_email'))
    )
    op.create_table('staff_sessions',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', Id, nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_staff_sessions_account_id_staff_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_sessions_token_hash'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_staff_sessions_account_id', ['account_id'], unique=False)

    op.create_table('staff_login_failures',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_login_failures'))
    )
    with op.batch_alter_table('staff_login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_staff_login_failures_email_digest_failed_at', ['email_digest', 'failed_at'], unique=False)
        batch_op.create_index('ix_staff_login_failures_ip_failed_at', ['ip', 'failed_at'], unique=False)
        batch_op.create_index('ix_staff_login_failures_failed_at', ['failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_login_failures_failed_at')
        batch_op.drop_index('ix_staff_login_failures_ip_failed_at')
        batch_op.drop_index('ix_staff_login_failures_email_digest_failed_at')
    op.drop_table('staff_login_failures')

    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_sessions_account_id')
    op.drop_table('staff_sessions')
    op.drop_table('staff_accounts')
