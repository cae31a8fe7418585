"""a spare management link per registration, mailed again without ending the first

Revision ID: a10c4e8f2b57
Revises: a10b7c3d9e21
Create Date: 2026-12-01 12:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a10c4e8f2b57'
down_revision = 'a10b7c3d9e21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spare_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_registration_spare_token_hash'), ['spare_token_hash']
        )


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_spare_token_hash'), type_='unique')
        batch_op.drop_column('spare_token_hash')
