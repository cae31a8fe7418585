"""Building the MIME structure of outgoing mail: text, HTML, and the calendar invite.

With an invite the message is::

    multipart/mixed
      multipart/alternative
        text/plain                          readable anywhere
        multipart/related                   only when the HTML shows images
          text/html                         the same essentials, formatted
          image/png  Content-ID: <…>        each image the HTML shows as ``cid:…``
        text/calendar; method=REQUEST       what calendar-aware clients act on (RFC 6047)
      application/ics  invite.ics           the same invite for manual import

Images travel inside the message and are referenced by Content-ID (RFC 2392), because Gmail,
Outlook and others block ``data:`` images. The related part wraps the HTML alone, so the
calendar part stays a plain alternative of the bodies, where clients look for it.

The attachment is ``application/ics`` rather than a second ``text/calendar`` part so that
clients do not process the same iTIP message twice. Calendar parts are added as bytes
(base64), so the CRLF line ends the iCalendar format requires survive untouched.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class _WirePolicy(EmailPolicy):
    """``policy.SMTP`` with one repair: a non-ASCII Subject is folded by ``email.header``.

    Python 3.11's default folder drops the space between two encoded words when it breaks
    a long line there ("生物技术 «Salute»" arrives as "生物技术«Salute»"); the older encoder
    keeps every space inside the encoded words.
    """

    def _subject(self, name: str, value: object) -> str | None:
        text = str(value)
        if name.lower() != "subject" or text.isascii():
            return None
        encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"

    def fold(self, name: str, value: str) -> str:
        return self._subject(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        subject = self._subject(name, value)
        return subject.encode("ascii") if subject else super().fold_binary(name, value)


# How messages are serialized for the outbox and SMTP: CRLF line ends, 7-bit headers.
WIRE_POLICY = _WirePolicy(linesep="\r\n")


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class InlineImage:
    """A PNG the HTML body shows as ``cid:<content_id>``."""

    content_id: str  # without the angle brackets
    filename: str
    png: bytes


def header_text(value: str) -> str:
    """A value safe for a header: CR, LF and other control characters become spaces, so
    nothing in a name or title can start a header of its own."""
    return " ".join(_CONTROL.sub(" ", value).split())


def address(name: str, email: str) -> Address:
    # Address() encodes non-ASCII names (RFC 2047) and refuses CR/LF outright; cleaning
    # first turns a hostile name into a harmless one instead of an error.
    return Address(display_name=header_text(name), addr_spec=email)


def compose(
    recipient: Recipient,
    subject: str,
    text: str,
    html: str,
    *,
    calendar: bytes | None = None,
    method: str | None = None,
    reply_to: Recipient | None = None,
    images: Sequence[InlineImage] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["To"] = address(recipient.name, recipient.email)
    message["Subject"] = header_text(subject)
    if reply_to is not None and reply_to.email:
        message["Reply-To"] = address(reply_to.name, reply_to.email)
    # Tells auto-responders (vacation replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the message 7-bit clean for any SMTP server.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if images:
        *_, html_part = message.iter_parts()
        _attach_inline(html_part, images)
    if calendar is not None:
        if method is None:
            raise ValueError("a calendar part needs its iTIP method")
        message.add_alternative(
            calendar,
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "UTF-8"},
        )
        message.add_attachment(
            calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
    _drop_inner_mime_versions(message)
    return message


def _attach_inline(html_part: MIMEPart, images: Sequence[InlineImage]) -> None:
    """Turn the HTML alternative into multipart/related: the HTML, then its images."""
    for image in images:
        html_part.add_related(
            image.png,
            maintype="image",
            subtype="png",
            cid=f"<{image.content_id}>",
            disposition="inline",
            filename=image.filename,
        )
    # RFC 2387: a related part names the type of its root (the first part).
    html_part.set_param("type", "text/html")


def _drop_inner_mime_versions(message: EmailMessage) -> None:
    for part in message.walk():
        # The email package repeats MIME-Version in every part it creates; it belongs at
        # the top only.
        if part is not message:
            del part["MIME-Version"]
