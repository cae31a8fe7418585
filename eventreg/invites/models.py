"""What each recipient's calendar was last sent."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventreg.core.db import UTCDateTime
from eventreg.core.extensions import Model


class CalendarCopy(Model):
    """What one recipient's calendar was last told about one event (UID).

    iTIP (RFC 5546) wants every message of a UID to a recipient to carry a higher SEQUENCE
    than the one before, whatever the reason: the session's own revision does not move when
    someone leaves and joins again, so the last SEQUENCE each recipient got is kept here.
    ``recipient`` is ``registration:<id>`` or ``speaker:<id>`` (no address, no name).
    ``state`` says whether the event is in their agenda: ``held`` after an invite,
    ``left`` after they left it, ``withdrawn`` when the whole registration was cancelled
    (what a cancelled registration's feed keeps, marked cancelled).
    """

    recipient: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    sequence: Mapped[int] = mapped_column(sa.Integer)
    state: Mapped[str] = mapped_column(sa.String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("state IN ('held', 'left', 'withdrawn')", name="known_state"),
    )
