"""speakers self-service, approval, schedule drafts, scheduled messages

Speakers get a private link, a mail language, links, availability and an answer per session;
registrations may wait for approval ("pending", "rejected"); edits of a published schedule
collect in drafts; broadcasts get an audience and a send time.

Revision ID: 8b0a797a5b4a
Revises: bea3c4f877ce
Create Date: 2026-12-01 21:05:20.904031

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "8b0a797a5b4a"
down_revision = "bea3c4f877ce"
branch_labels = None
depends_on = None

# As the models have them at this revision (the models may change later; this must not).
STATUSES = ("confirmed", "waiting", "cancelled", "pending", "rejected")
AUDIENCES = ("all", "session", "waiting", "pending", "speakers", "not_checked_in")


def upgrade():
    op.create_table(
        "speaker_availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("speaker_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_at > start_at", name=op.f("ck_speaker_availability_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"],
            ["speaker.id"],
            name=op.f("fk_speaker_availability_speaker_id_speaker"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speaker_availability")),
    )
    with op.batch_alter_table("speaker_availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_speaker_availability_speaker_id"), ["speaker_id"], unique=False
        )

    op.create_table(
        "talk_draft",
        sa.Column("talk_id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("cancel", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(start_at IS NULL) = (end_at IS NULL)",
            name=op.f("ck_talk_draft_start_and_end_together"),
        ),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_talk_draft_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conference.id"],
            name=op.f("fk_talk_draft_conference_id_conference"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_talk_draft_room_id_room"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["talk_id"], ["talk.id"], name=op.f("fk_talk_draft_talk_id_talk"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_talk_draft_user_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("talk_id", name=op.f("pk_talk_draft")),
    )
    with op.batch_alter_table("talk_draft", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talk_draft_conference_id"), ["conference_id"], unique=False
        )

    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=20), server_default="all", nullable=False)
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="sent", nullable=False)
        )
        batch_op.add_column(sa.Column("send_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint("known_audience", f"audience IN {AUDIENCES!r}")
        batch_op.create_check_constraint(
            "known_status", "status IN ('sent', 'scheduled', 'cancelled')"
        )
    # Broadcasts to one session's seat holders were told apart by their talk only.
    op.execute("UPDATE broadcast SET audience = 'session' WHERE talk_id IS NOT NULL")

    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_approval", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint("known_status", type_="check")
        batch_op.create_check_constraint("known_status", f"status IN {STATUSES!r}")

    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("links", sa.JSON(), server_default="[]", nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_speaker_token_hash"), ["token_hash"])

    with op.batch_alter_table("talk_speaker", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("response", sa.String(length=20), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            "known_response", "response IN ('pending', 'confirmed', 'declined')"
        )


def downgrade():
    with op.batch_alter_table("talk_speaker", schema=None) as batch_op:
        batch_op.drop_constraint("known_response", type_="check")
        batch_op.drop_column("responded_at")
        batch_op.drop_column("response")

    with op.batch_alter_table("speaker", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_speaker_token_hash"), type_="unique")
        batch_op.drop_column("links")
        batch_op.drop_column("token_hash")
        batch_op.drop_column("language")

    # The older schema knows neither state: a pending registration becomes a cancelled one.
    op.execute(
        "UPDATE registration SET status = 'cancelled' WHERE status IN ('pending', 'rejected')"
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_constraint("known_status", type_="check")
        batch_op.create_check_constraint(
            "known_status", "status IN ('confirmed', 'waiting', 'cancelled')"
        )
        batch_op.drop_column("decided_at")

    with op.batch_alter_table("conference", schema=None) as batch_op:
        batch_op.drop_column("requires_approval")

    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_constraint("known_status", type_="check")
        batch_op.drop_constraint("known_audience", type_="check")
        batch_op.drop_column("send_at")
        batch_op.drop_column("status")
        batch_op.drop_column("audience")

    with op.batch_alter_table("talk_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talk_draft_conference_id"))

    op.drop_table("talk_draft")
    with op.batch_alter_table("speaker_availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speaker_availability_speaker_id"))

    op.drop_table("speaker_availability")
