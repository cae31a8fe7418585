"""Command-line tools: ``flask --app eventreg <command>``."""

import logging
import signal
import threading
import time

import click
import sqlalchemy as sa
from flask import Flask, current_app

from eventreg.accounts.commands import create_admin
from eventreg.conferences.models import Conference
from eventreg.core.extensions import db
from eventreg.demo import load_demo, load_synthetic
from eventreg.invites.replies import base_address, is_reply_address
from eventreg.mail import inbound
from eventreg.mail.cli import record_only
from eventreg.mail.outbox import purge_delivered, retention
from eventreg.registration.replies import handle_reply
from eventreg.schedule.services import invite_speakers


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo)
    from eventreg.mail.cli import COMMANDS as mail_commands

    for command in mail_commands:
        app.cli.add_command(command)
    app.cli.add_command(create_admin)
    app.cli.add_command(invite_speakers_command)
    app.cli.add_command(purge_mail)
    app.cli.add_command(receive_mail)


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


# --- replies from calendars ------------------------------------------------------------


def reply_handler(app: Flask) -> inbound.Deliver:
    """The calendar-reply handler, callable from any thread (each message in an app
    context of its own, as a request would be)."""

    def deliver(raw: bytes, recipients: list[str]) -> str:
        with app.app_context():
            return handle_reply(raw, recipients).outcome

    return deliver


def smtp_reply_receiver(app: Flask) -> inbound.SmtpReceiver:
    """The SMTP receiver of ``receive-mail``: mail for reply addresses only."""

    def accepts(address: str) -> bool:
        with app.app_context():
            return is_reply_address(address)

    return inbound.SmtpReceiver(
        reply_handler(app),
        accepts=accepts,
        host=app.config["INBOUND_SMTP_HOST"],
        port=int(app.config["INBOUND_SMTP_PORT"]),
        max_bytes=int(app.config["INBOUND_MAX_BYTES"]),
    )


def imap_reply_mailbox(app: Flask) -> inbound.ImapMailbox:
    config = app.config
    if not config.get("INBOUND_IMAP_HOST"):
        raise click.ClickException("set INBOUND_IMAP_HOST (and _USER, _PASSWORD) to poll IMAP")
    return inbound.ImapMailbox(
        host=config["INBOUND_IMAP_HOST"],
        port=int(config["INBOUND_IMAP_PORT"]),
        user=config.get("INBOUND_IMAP_USER") or "",
        password=config.get("INBOUND_IMAP_PASSWORD") or "",
        mailbox=config["INBOUND_IMAP_MAILBOX"],
        ssl=bool(config["INBOUND_IMAP_SSL"]),
        delete=bool(config["INBOUND_IMAP_DELETE"]),
    )


def _until_stopped() -> threading.Event:
    """An event set by Ctrl+C or SIGTERM (a service manager stopping the process)."""
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_args: stop.set())
    return stop


@click.command("receive-mail")
@click.option(
    "--imap", is_flag=True, help="Poll the INBOUND_IMAP_* mailbox instead of serving SMTP."
)
@click.option("--once", is_flag=True, help="With --imap: one pass, then exit (for cron).")
def receive_mail(imap: bool, once: bool) -> None:
    """Receive replies from attendees' calendars (Accept / Tentative / Decline) and act on
    them: an SMTP server on INBOUND_SMTP_HOST:INBOUND_SMTP_PORT, or an IMAP poller."""
    # The replies' mail (a CANCEL, a "confirm?") is recorded; workers deliver it.
    record_only()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if base_address() is None:
        raise click.ClickException("REPLY_ADDRESS is empty: replies from calendars are off")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if imap:
        mailbox = imap_reply_mailbox(app)
        if once:
            report = inbound.poll_imap(mailbox, reply_handler(app))
            click.echo(f"{report.handled} handled, {report.failed} failed.")
            return
        interval = float(app.config["INBOUND_IMAP_POLL_SECONDS"])
        click.echo(f"Polling {mailbox.host} every {interval:g}s; stop with Ctrl+C.")
        inbound.poll_forever(mailbox, reply_handler(app), interval=interval, stop=_until_stopped())
        return
    if once:
        raise click.UsageError("--once goes with --imap")
    receiver = smtp_reply_receiver(app)
    stop = _until_stopped()
    receiver.start()
    click.echo(f"Receiving replies on {receiver.host}:{receiver.port}; stop with Ctrl+C.")
    try:
        stop.wait()
    finally:
        receiver.stop()
        click.echo("Stopped.")
