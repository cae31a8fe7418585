"""Reading uploaded CSV files the way spreadsheet programs write them: UTF-8 with or without
a byte-order mark, commas or (Excel in much of Europe) semicolons, rows numbered as the
spreadsheet shows them. Shared by the programme import and the invitation lists."""

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _

from eventreg.core.errors import Invalid


class FileRefused(Invalid):
    """The file as a whole cannot be read (a 400, or 413 when ``too_large``)."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__({"file": message})
        self.too_large = too_large


def decode_text(data: bytes, not_text: str) -> str:
    """The upload as text; ``not_text`` is the message for a binary file."""
    if b"\x00" in data:
        raise FileRefused(not_text)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise FileRefused(
            _(
                "The file is not in UTF-8. Save it as “CSV UTF-8” (or export it in UTF-8) "
                "and upload it again."
            )
        ) from None


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with its row number; the first is the header (row 1). Blank
    lines before the header are not counted, blank lines after it are (the spreadsheet
    shows them as rows). A malformed file raises ``FileRefused`` naming the last row read."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                if number:
                    number += 1
                continue
            number += 1
            yield number, record
    except csv.Error as error:
        raise FileRefused(
            _("The CSV file cannot be read after row %(number)d: %(why)s", number=number, why=error)
        ) from None
