"""A development-only page listing delivered .eml files, to open mails and their invites.

It exists only when ``DEV_MAIL_PAGE`` is on (``make run`` turns it on); mail holds private
management links, so it must never be enabled on a server others can reach.
"""

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from io import BytesIO
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Flask, abort, current_app, render_template, send_file
from werkzeug import Response

from eventreg.mail.delivery import status_counts
from eventreg.mail.transports import outbox_directory

bp = Blueprint("mail_dev", __name__, url_prefix="/_dev/mail")

# Names the file transport writes; anything else (paths, dot files) is refused.
EML_NAME = re.compile(r"\d{8}-\d{6}-\d{8}\.eml")


def register_dev_mail_page(app: Flask) -> None:
    if app.config.get("DEV_MAIL_PAGE"):
        app.register_blueprint(bp)


def _path_or_404(name: str) -> Path:
    if not EML_NAME.fullmatch(name):
        abort(404)
    path = outbox_directory(current_app) / name
    if not path.is_file():
        abort(404)
    return path


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _invite_part(message: EmailMessage) -> EmailMessage | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None


@bp.get("/")
def index() -> str:
    directory = outbox_directory(current_app)
    files = sorted(directory.glob("*.eml"), reverse=True) if directory.is_dir() else []
    messages: list[dict[str, Any]] = []
    for path in files[:200]:
        message = _parse(path)
        invite = _invite_part(message)
        messages.append(
            {
                "name": path.name,
                "to": str(message["To"] or ""),
                "subject": str(message["Subject"] or ""),
                "date": str(message["Date"] or ""),
                "method": invite.get_param("method") if invite is not None else None,
            }
        )
    counts = status_counts()
    return render_template(
        "mail/outbox.html",
        messages=messages,
        total=len(files),
        directory=directory,
        counts=counts,
    )


@bp.get("/<name>")
def download(name: str) -> Response:
    return send_file(
        _path_or_404(name), mimetype="message/rfc822", as_attachment=True, download_name=name
    )


@bp.get("/<name>/invite.ics")
def invite(name: str) -> Response:
    part = _invite_part(_parse(_path_or_404(name)))
    if part is None:
        abort(404)
    return send_file(
        BytesIO(cast(bytes, part.get_payload(decode=True))),
        mimetype="text/calendar",
        as_attachment=True,
        download_name="invite.ics",
    )
