"""Command-line tools: ``flask --app eventreg <command>``."""

import time

import click
import sqlalchemy as sa
from flask import Flask

from eventreg.accounts.commands import create_admin
from eventreg.conferences.models import Conference
from eventreg.core.extensions import db
from eventreg.demo import load_demo, load_synthetic
from eventreg.mail.cli import record_only
from eventreg.mail.outbox import purge_delivered, retention
from eventreg.schedule.services import invite_speakers


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo)
    from eventreg.mail.cli import COMMANDS as mail_commands

    for command in mail_commands:
        app.cli.add_command(command)
    app.cli.add_command(create_admin)
    app.cli.add_command(invite_speakers_command)
    app.cli.add_command(purge_mail)


@click.command()
@click.option("--sessions", type=click.IntRange(min=1), help="Generate a synthetic conference.")
@click.option("--attendees", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--slug", help="Slug of the synthetic conference.")
def demo(sessions: int | None, attendees: int, slug: str | None) -> None:
    """Load the demo conference (skipped when present), or a large synthetic one."""
    started = time.perf_counter()
    if sessions:
        conference = load_synthetic(sessions, attendees, slug)
        click.echo(
            f"Created {conference.slug}: {sessions} sessions, {attendees} attendees "
            f"in {time.perf_counter() - started:.1f}s"
        )
        return
    conference = load_demo()
    if conference is None:
        click.echo("The demo conference is already there; nothing to do.")
    else:
        click.echo(f"Loaded the demo conference at /c/{conference.slug}/")


@click.command("invite-speakers")
@click.argument("slug")
def invite_speakers_command(slug: str) -> None:
    """Send every speaker of a conference the invites for the sessions they speak in."""
    record_only()
    conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
    if conference is None:
        raise click.ClickException(f"no conference with the slug {slug!r}")
    sent = invite_speakers(conference)
    click.echo(f"Recorded {sent} speaker invites; they go out with the next delivery.")


@click.command("purge-mail")
def purge_mail() -> None:
    """Forget the content of mail delivered longer ago than MAIL_RETENTION_DAYS (delivery
    workers also do it now and then): address, subject, message and .eml copy."""
    keep = retention()
    if keep is None:
        click.echo("MAIL_RETENTION_DAYS is unset: delivered mail is kept; nothing to do.")
        return
    purged = purge_delivered()
    days = keep.total_seconds() / 86400
    click.echo(f"Purged {purged} messages delivered more than {days:g} days ago.")
