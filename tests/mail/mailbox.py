"""Reading delivered mail in tests: deliver the outbox, then pick parts out of messages."""

from email.message import EmailMessage

from eventreg.mail.delivery import deliver_due


def deliver(smtp_server) -> list[EmailMessage]:
    """Run one delivery pass and return everything the SMTP server has received."""
    deliver_due()
    return smtp_server.messages


def part_of(message: EmailMessage, content_type: str):
    parts = [part for part in message.walk() if part.get_content_type() == content_type]
    assert len(parts) <= 1, f"{len(parts)} parts of type {content_type}"
    return parts[0] if parts else None


def calendar_part(message: EmailMessage) -> tuple[str, bytes]:
    """The iTIP method and bytes of the message's text/calendar alternative."""
    part = part_of(message, "text/calendar")
    assert part is not None, "no text/calendar part"
    return part.get_param("method"), part.get_payload(decode=True)


def text_body(message: EmailMessage) -> str:
    return part_of(message, "text/plain").get_content()


def html_body(message: EmailMessage) -> str:
    return part_of(message, "text/html").get_content()


def to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if m["To"].addresses[0].addr_spec == address]
