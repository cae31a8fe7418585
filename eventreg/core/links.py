"""Absolute links for e-mails and calendars.

They are always built from the ``BASE_URL`` setting, never from the request's ``Host``
header: a forged header must not be able to plant its own host in a management link, and
workers and CLI commands that have no request at all build the same links.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from eventreg.core.ids import MAX_ID


def url_builder() -> Callable[..., str]:
    """A function ``build(endpoint, **values)`` for many links at once (one URL map bind)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc,
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme or "https",
    )

    def build(endpoint: str, **values: Any) -> str:
        return adapter.build(endpoint, values, force_external=True)

    return build


def id_links(
    build: Callable[..., str], endpoint: str, id_name: str, **values: Any
) -> Callable[[int], str]:
    """The links to ``endpoint`` that differ only in the integer ``id_name``, as a function
    of that id. The link is built once, with the largest id a route takes (its converter
    formats it), and each id is put in that one's place (the last, after any slug): feeds,
    exports and the schedule page link thousands of sessions, and building each link with
    the URL map cost more than the rest of its row. ``build`` may be ``url_for`` too."""
    head, marker, tail = build(endpoint, **values, **{id_name: MAX_ID}).rpartition(str(MAX_ID))
    if not marker:
        raise ValueError(f"{endpoint}'s link does not show {id_name}")
    return lambda id_: f"{head}{int(id_)}{tail}"


LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def trusted_hosts_for(base_url: str, server_name: str | None = None) -> list[str]:
    """The host names a request may use when ``TRUSTED_HOSTS`` is not set: the public
    address's own (and ``SERVER_NAME``'s); both loopback spellings when it is a local one."""
    hosts = [urlsplit(base_url).hostname or ""]
    if server_name:
        hosts.append(urlsplit(f"//{server_name}").hostname or "")
    if any(host in LOOPBACK_HOSTS for host in hosts):
        hosts.extend(LOOPBACK_HOSTS)
    return list(dict.fromkeys(host for host in hosts if host))


def public_url(endpoint: str, **values: Any) -> str:
    return url_builder()(endpoint, **values)


def webcal_url(https_url: str) -> str:
    """The ``webcal://`` form of a feed link, which opens the subscribe dialog of calendar apps."""
    return "webcal://" + https_url.split("://", 1)[1]
