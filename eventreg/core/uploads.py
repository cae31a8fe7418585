"""Routes that take file uploads.

Everywhere else the app refuses files (415) and bodies beyond ``MAX_CONTENT_LENGTH``. A view
marked ``accepts_uploads`` takes files, and bodies up to ``UPLOAD_MAX_BYTES`` plus room for
the form's other fields. A larger body is refused unread; instead of the bare 413 page, the
view is then called once more to show its page with the message: ``too_large()`` is true
during that call, and the view must not read the request's form (it was never parsed).
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, g, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

# Besides the file: the CSRF token, the button pressed, the multipart boundaries.
FORM_ALLOWANCE = 64 * 1024

View = TypeVar("View", bound=Callable[..., Any])


def accepts_uploads(view: View) -> View:
    view.accepts_uploads = True  # type: ignore[attr-defined]
    return view


def takes_uploads(view: object) -> bool:
    return bool(getattr(view, "accepts_uploads", False))


def body_limit() -> int:
    return int(current_app.config["UPLOAD_MAX_BYTES"]) + FORM_ALLOWANCE


def set_body_limit(endpoint: str | None) -> None:
    """Give an upload route its larger limit, before anything reads the body (the CSRF
    check does: call this from a URL value preprocessor, which runs before it)."""
    if takes_uploads(current_app.view_functions.get(endpoint or "")):
        request.max_content_length = body_limit()


def too_large() -> bool:
    """True while an upload view is called to answer a body that was too large."""
    return bool(g.get("_upload_too_large"))


def too_large_page() -> ResponseReturnValue | None:
    """The upload view's own page for a body it could not take; None for other routes (and
    when the view refuses the request for another reason: the plain 413 page answers)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or not takes_uploads(view):
        return None
    g._upload_too_large = True
    try:
        # The views are plain functions (the app has no async views).
        return cast(ResponseReturnValue, view(**(request.view_args or {})))
    except HTTPException:
        return None
