"""Mail commands: ``flask --app eventreg deliver-mail [--loop]`` and ``resend-mail``."""

import logging

import click
from flask import current_app

from eventreg.mail.delivery import deliver_due, deliver_forever
from eventreg.mail.outbox import resend


def record_only() -> None:
    """A command that records mail must not start the in-process sender: the process ends
    with the command and would cut a delivery short (its lease would then hold the
    messages back for MAIL_LEASE_SECONDS). Workers and the web server deliver them."""
    current_app.config["MAIL_DELIVER_IN_BACKGROUND"] = False


@click.command("deliver-mail")
@click.option("--loop", is_flag=True, help="Keep running, as a worker process.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    help="Seconds between passes with --loop (default: MAIL_POLL_SECONDS).",
)
def deliver_mail(loop: bool, interval: float | None) -> None:
    """Send the messages waiting in the outbox (SMTP, or .eml files without MAIL_SERVER)."""
    if loop:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        interval = interval or float(current_app.config["MAIL_POLL_SECONDS"])
        click.echo(f"Delivering mail every {interval:g}s; stop with Ctrl+C.")
        try:
            deliver_forever(interval=interval)
        except KeyboardInterrupt:
            click.echo("Stopped.")
        return
    report = deliver_due()
    click.echo(f"{report.sent} sent, {report.retrying} to retry later, {report.failed} failed.")


@click.command("resend-mail")
@click.argument("message_id", type=int)
def resend_mail(message_id: int) -> None:
    """Queue a failed outbox message (by its id) for delivery again."""
    record_only()
    if not resend(message_id):
        raise click.ClickException(f"outbox message {message_id} has not failed; nothing to do")
    click.echo(f"Message {message_id} is queued again.")


COMMANDS = [deliver_mail, resend_mail]
