"""auth throttle: failed verifications per booking reference and client address

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-07 14:40:00
"""
from alembic import op
import sqlalchemy as sa
import bot.store.db


revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auth_throttle',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', bot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', bot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', bot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_auth_throttle'))
    )
    with op.batch_alter_table('auth_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_throttle_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auth_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_throttle_updated_at'))
    op.drop_table('auth_throttle')
