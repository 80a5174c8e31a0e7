"""retraining: inbox labels, admin intents, live answers, training jobs, model registry, admin audit

Revision ID: 0007
Revises: 0006

"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('admin_audit',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_admin_audit_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_audit'))
    )
    op.create_table('admin_intents',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_admin_intents_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_admin_intents'))
    )
    op.create_table('answer_versions',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('response', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('updated_on', sa.Date(), nullable=True),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_answer_versions_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_versions'))
    )
    with op.batch_alter_table('answer_versions', schema=None) as batch_op:
        batch_op.create_index('ix_answer_versions_response', ['response'], unique=False)

    op.create_table('answers',
    sa.Column('response', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('updated_on', sa.Date(), nullable=True),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_answers_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('response', name=op.f('pk_answers'))
    )
    op.create_table('models',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('label_count', sa.Integer(), nullable=False),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_models_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_models'))
    )
    op.create_table('training_jobs',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('model_name', sa.String(length=80), nullable=True),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('log', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_training_jobs_account_id_staff_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_jobs'))
    )
    op.create_table('model_activations',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('model_name', sa.String(length=80), nullable=False),
    sa.Column('previous_name', sa.String(length=80), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_model_activations_account_id_staff_accounts')),
    sa.ForeignKeyConstraint(['model_name'], ['models.name'], name=op.f('fk_model_activations_model_name_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_activations'))
    )
    op.create_table('model_evaluations',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('model_name', sa.String(length=80), nullable=False),
    sa.Column('baseline_name', sa.String(length=80), nullable=True),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('eval_set_hash', sa.String(length=64), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_name'], ['models.name'], name=op.f('fk_model_evaluations_model_name_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_evaluations'))
    )
    with op.batch_alter_table('model_evaluations', schema=None) as batch_op:
        batch_op.create_index('ix_model_evaluations_model_name', ['model_name'], unique=False)

    op.create_table('inbox_labels',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('message_id', Id, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('heldout', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('account_id', Id, nullable=True),
    sa.Column('labelled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], name=op.f('fk_inbox_labels_account_id_staff_accounts')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_inbox_labels_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_labels')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbox_labels_message_id'))
    )


def downgrade() -> None:
    op.drop_table('inbox_labels')
    with op.batch_alter_table('model_evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_model_evaluations_model_name')

    op.drop_table('model_evaluations')
    op.drop_table('model_activations')
    op.drop_table('training_jobs')
    op.drop_table('models')
    op.drop_table('answers')
    with op.batch_alter_table('answer_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_versions_response')

    op.drop_table('answer_versions')
    op.drop_table('admin_intents')
    op.drop_table('admin_audit')
