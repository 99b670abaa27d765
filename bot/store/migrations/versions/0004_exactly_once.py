"""exactly once: inbound dedupe per conversation, the version a message answers, an index for recovery

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-07 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conv_version', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_messages_channel_direction_platform_message_id', type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_messages_conversation_id_direction_platform_message_id'),
            ['conversation_id', 'direction', 'platform_message_id'],
        )
    op.create_index(
        'ix_messages_received', 'messages', ['id'], unique=False,
        postgresql_where=sa.text("status = 'received'"), sqlite_where=sa.text("status = 'received'"),
    )


def downgrade() -> None:
    op.drop_index('ix_messages_received', table_name='messages')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_messages_conversation_id_direction_platform_message_id'), type_='unique')
        batch_op.create_unique_constraint(
            'uq_messages_channel_direction_platform_message_id', ['channel', 'direction', 'platform_message_id']
        )
        batch_op.drop_column('conv_version')
