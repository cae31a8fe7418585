"""``flask --app eventreg create-admin EMAIL``: the first administrator, or a lost password."""

import sys

import click

from eventreg.accounts import services
from eventreg.core.errors import Invalid


@click.command("create-admin")
@click.argument("email")
def create_admin(email: str) -> None:
    """Create an administrator account, or make an existing account one with a new password.

    The password is asked for twice on a terminal; otherwise it is read from the first line
    of standard input (``echo "$PASSWORD" | flask create-admin ...``), never from an argument
    that would show up in the process list and the shell history.
    """
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user, created = services.create_or_promote_admin(email, password)
    except Invalid as error:
        raise click.ClickException(error.message) from None
    if created:
        click.echo(f"Created the administrator {user.email}.")
    else:
        click.echo(f"{user.email} existed: it is now an active administrator with this password.")
