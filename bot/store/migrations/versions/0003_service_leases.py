"""service leases (leader election for once-per-deployment services)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import bot.store.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_leases',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=64), nullable=False),
        sa.Column('expires_at', bot.store.db.UTCDateTime(), nullable=False),
        sa.Column('acquired_at', bot.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_service_leases')),
    )


def downgrade() -> None:
    op.drop_table('service_leases')
