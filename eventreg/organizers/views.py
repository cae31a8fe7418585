"""The organizers' workspace: one blueprint under /manage, its routes split by subject."""

from eventreg.organizers import (  # noqa: F401  (importing them registers the routes)
    account_views,
    approval_views,
    attendee_views,
    badge_views,
    category_views,
    checkin_views,
    conference_views,
    editor_views,
    import_views,
    invitation_views,
    messaging_views,
    report_views,
    schedule_views,
    token_views,
)
from eventreg.organizers.blueprint import bp

__all__ = ["bp"]
