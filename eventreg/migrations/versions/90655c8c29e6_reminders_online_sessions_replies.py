"""reminders (scheduled outbox rows, per-conference times), invite alarms, online sessions,
and the inbound replies already handled

Revision ID: 90655c8c29e6
Revises: b3d1e7a4c902
Create Date: 2026-12-01 14:10:28

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '90655c8c29e6'
down_revision = 'b3d1e7a4c902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'inbound_message',
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=60), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['registration_id'],
            ['registration.id'],
            name=op.f('fk_inbound_message_registration_id_registration'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('message_id', name=op.f('pk_inbound_message')),
    )
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_inbound_message_registration_id'), ['registration_id'], unique=False
        )

    # Existing conferences keep mailing what they did: no reminders, no alarms.
    with op.batch_alter_table('conference', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('conference_reminder_minutes', sa.JSON(), nullable=False, server_default='[]')
        )
        batch_op.add_column(
            sa.Column('session_reminder_minutes', sa.JSON(), nullable=False, server_default='[]')
        )
        batch_op.add_column(sa.Column('invite_alarm_minutes', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'invite_alarm_not_negative',
            'invite_alarm_minutes IS NULL OR invite_alarm_minutes >= 0',
        )

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('talk_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recipient_key', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_talk_id'), ['talk_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_message_talk_id_talk'),
            'talk',
            ['talk_id'],
            ['id'],
            ondelete='SET NULL',
        )

    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('online_url', sa.String(length=500), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('talk', schema=None) as batch_op:
        batch_op.drop_column('online_url')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_talk_id_talk'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_message_talk_id'))
        batch_op.drop_column('recipient_key')
        batch_op.drop_column('talk_id')

    with op.batch_alter_table('conference', schema=None) as batch_op:
        batch_op.drop_constraint('invite_alarm_not_negative', type_='check')
        batch_op.drop_column('invite_alarm_minutes')
        batch_op.drop_column('session_reminder_minutes')
        batch_op.drop_column('conference_reminder_minutes')

    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_message_registration_id'))

    op.drop_table('inbound_message')
