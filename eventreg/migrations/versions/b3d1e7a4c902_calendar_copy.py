"""the last SEQUENCE each recipient got for each calendar event (UID)

Revision ID: b3d1e7a4c902
Revises: a10c4e8f2b57
Create Date: 2026-12-01 12:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3d1e7a4c902'
down_revision = 'a10c4e8f2b57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_copy',
        sa.Column('recipient', sa.String(length=40), nullable=False),
        sa.Column('uid', sa.String(length=200), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('held', 'left', 'withdrawn')", name=op.f('ck_calendar_copy_known_state')
        ),
        sa.PrimaryKeyConstraint('recipient', 'uid', name=op.f('pk_calendar_copy')),
    )


def downgrade():
    op.drop_table('calendar_copy')
