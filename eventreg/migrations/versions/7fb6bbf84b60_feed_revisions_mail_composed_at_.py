"""feed revisions (conference and agenda), mail composed at delivery (content and sealed
secret), branding images (logo, banner, accent colour, speaker photo); the unused
feed_version table goes

Revision ID: 7fb6bbf84b60
Revises: 90655c8c29e6
Create Date: 2026-12-01 17:06:48

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7fb6bbf84b60'
down_revision = '90655c8c29e6'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('feed_version')
    with op.batch_alter_table('conference', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('feed_revision', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('logo_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('banner_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('accent_color', sa.String(length=7), nullable=True))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.Text(), nullable=True))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('agenda_revision', sa.Integer(), server_default='0', nullable=False)
        )

    with op.batch_alter_table('speaker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_key', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('speaker', schema=None) as batch_op:
        batch_op.drop_column('photo_key')

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('agenda_revision')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('sealed')
        batch_op.drop_column('content')

    with op.batch_alter_table('conference', schema=None) as batch_op:
        batch_op.drop_column('accent_color')
        batch_op.drop_column('banner_key')
        batch_op.drop_column('logo_key')
        batch_op.drop_column('feed_revision')

    op.create_table(
        'feed_version',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('etag', sa.String(length=64), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_feed_version')),
    )
