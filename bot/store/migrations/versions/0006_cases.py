"""handoff cases

Revision ID: 0006
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
import bot.store.db


revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'cases',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('conversation_id', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('recipient_id', sa.String(length=255), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=64), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('skills', sa.JSON(), nullable=False),
        sa.Column('base_priority', sa.Integer(), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('crisis_affected', sa.Boolean(), nullable=False),
        sa.Column('crisis_id', sa.String(length=64), nullable=True),
        sa.Column('departure_at', bot.store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('booking', sa.JSON(), nullable=True),
        sa.Column('intent', sa.String(length=64), nullable=True),
        sa.Column('entities', sa.JSON(), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('first_message_id', sa.BigInteger(), nullable=True),
        sa.Column('passenger_messages', sa.Integer(), nullable=False),
        sa.Column('opened_at', bot.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sla_due_at', bot.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_at', bot.store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('first_response_at', bot.store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_agent_at', bot.store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_passenger_at', bot.store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('escalation_level', sa.Integer(), nullable=False),
        sa.Column('escalated_at', bot.store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_at', bot.store.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_by', sa.String(length=64), nullable=True),
        sa.Column('close_reason', sa.String(length=32), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_cases_conversation_id_conversations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_queue', ['state', 'language', 'priority'], unique=False)
        batch_op.create_index('ix_cases_conversation', ['conversation_id', 'id'], unique=False)
        batch_op.create_index('ix_cases_first_response', ['first_response_at'], unique=False)
        batch_op.create_index(
            'uq_cases_open_per_conversation', ['conversation_id'], unique=True,
            postgresql_where=sa.text("state IN ('queued', 'claimed')"),
            sqlite_where=sa.text("state IN ('queued', 'claimed')"),
        )


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_open_per_conversation')
        batch_op.drop_index('ix_cases_conversation')
        batch_op.drop_index('ix_cases_first_response')
        batch_op.drop_index('ix_cases_queue')
    op.drop_table('cases')
