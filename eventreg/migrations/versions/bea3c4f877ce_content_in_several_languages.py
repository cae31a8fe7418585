"""content in several languages: translations of what organizers write, each conference's
main language, a session's spoken languages and interpretation

Revision ID: bea3c4f877ce
Revises: 7fb6bbf84b60
Create Date: 2026-12-01 17:58:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "bea3c4f877ce"
down_revision = "7fb6bbf84b60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )

    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(
            sa.Column("main_language", sa.String(length=10), server_default="en", nullable=False)
        )

    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )

    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )

    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )

    with op.batch_alter_table("talk", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(sa.Column("languages", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("interpretation", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("track", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default="{}", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("track", schema=None) as batch_op:
        batch_op.drop_column("translations")

    with op.batch_alter_table("talk", schema=None) as batch_op:
        batch_op.drop_column("interpretation")
        batch_op.drop_column("languages")
        batch_op.drop_column("translations")

    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.drop_column("translations")

    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.drop_column("translations")

    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("translations")

    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.drop_column("main_language")
        batch_op.drop_column("translations")

    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_column("translations")
