"""Row ids read from addresses, forms and query strings.

The largest id a table holds is an SQL integer's: a longer number is "not found", never a
database error. The ``id`` URL converter (registered by ``eventreg.web`` before any route)
applies that to every route with an id, as in ``"/rooms/<id:item_id>"``.
"""

from typing import Any

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
ID = "id"  # the converter's name in route rules


class RowIdConverter(IntegerConverter):
    """``<id:talk_id>``: a number no table can hold does not match, so it is a 404."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def row_id(text: str) -> int:
    """An id read from a form or a query string (``request.form.get(..., type=row_id)``);
    ValueError, and so the default, when no row can have it."""
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"no row has the id {text!r}")
    return value
