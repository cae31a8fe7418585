"""When each calendar feed last changed, for an honest ``Last-Modified``."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventreg.core.db import UTCDateTime
from eventreg.core.extensions import Model


class FeedVersion(Model):
    """The ETag a feed was last served with, and since when it has had it.

    No timestamp column can tell when something *left* a feed (a session dropped from an
    agenda, a renamed room), so the moment the content's fingerprint changed is kept here.
    Keys look like ``schedule:12``, ``session:40`` or ``agenda:7`` and hold no personal data.
    """

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    etag: Mapped[str] = mapped_column(sa.String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
