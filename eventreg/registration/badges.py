"""Name badges as a PDF: the layout alone, from plain badge data to the bytes of the file.

Each badge carries the name, large and in its own script (Chinese names in Chinese glyphs,
Latin names as typed), shrunk to fit one or two lines; the affiliation; a category band
("Attendee", "Speaker"); the conference's title; and the check-in QR code, drawn as vector
squares so it scans sharp at any printer resolution. One font covers all of it: Noto Sans CJK
SC (Debian's ``fonts-noto-cjk``) has Chinese, Latin with every Italian accent, Greek and
Cyrillic.

Formats: A6 (one badge a page), and A4 sheets of 4 (2 × 2, A6 each) or 8 (2 × 4 of
105 × 74 mm), which have cut marks at the page edges and crosses where four badges meet.

Reading a CJK collection is slow (about 0.9 s for the two faces): the parsed faces are kept
per process, and each document gets a copy with a fresh, lazily read font file to subset,
which takes a few milliseconds (``_add_font``).
"""

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock
from typing import cast

import segno
from fontTools import ttLib  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

DEFAULT_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
DEFAULT_BOLD_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
# The face of a Noto CJK collection (.ttc) drawn with: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK. Simplified
# Chinese, the glyphs Chinese attendees expect; a single font file (.otf/.ttf) ignores it.
SC_FACE = 2
FAMILY = "badge"
MM_PER_PT = 25.4 / 72
LINE_HEIGHT = 1.18  # of the font size
CUT_MARK = 5.0  # mm, the length of a mark at the page edge
RGB = tuple[int, int, int]
BAND_COLOUR: RGB = (32, 33, 36)  # the category band when the conference has no accent colour


@dataclass(frozen=True)
class Badge:
    """What one badge says; plain text, already in the attendee's language."""

    name: str
    affiliation: str
    category: str
    conference_title: str
    checkin_code: str  # what the QR code holds: the code the check-in desk reads


@dataclass(frozen=True)
class BadgeFormat:
    key: str
    page: tuple[float, float]  # mm, width × height
    columns: int
    rows: int
    badge: tuple[float, float]  # mm
    cut_marks: bool

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


FORMATS: dict[str, BadgeFormat] = {
    "a6": BadgeFormat("a6", (105, 148), 1, 1, (105, 148), cut_marks=False),
    "a4-4": BadgeFormat("a4-4", (210, 297), 2, 2, (105, 148), cut_marks=True),
    "a4-8": BadgeFormat("a4-8", (210, 297), 2, 4, (105, 74), cut_marks=True),
}


class FontMissing(Exception):
    """A font file to draw the badges with is not on this machine."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def missing_fonts(*paths: str) -> list[str]:
    return [path for path in paths if not os.path.isfile(path)]


def render(
    badges: Sequence[Badge],
    format_key: str,
    *,
    font_path: str = DEFAULT_FONT_PATH,
    bold_font_path: str = DEFAULT_BOLD_FONT_PATH,
    title: str = "",
    accent: str | None = None,
) -> bytes:
    """The PDF of ``badges`` in the format ``format_key`` (a key of ``FORMATS``).

    Raises ``FontMissing`` when a font file is absent, ``KeyError`` for an unknown format.
    ``accent`` ("#rrggbb", the conference's colour) fills the category band.
    """
    layout = FORMATS[format_key]
    for path in (font_path, bold_font_path):
        if not os.path.isfile(path):
            raise FontMissing(path)
    pdf = FPDF(unit="mm", format=layout.page)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(title)
    pdf.set_creator("eventreg")
    _add_font(pdf, font_path, "")
    _add_font(pdf, bold_font_path, "B")
    band = _rgb(accent) if accent else BAND_COLOUR
    width, height = layout.badge
    for start in range(0, max(len(badges), 1), layout.per_page):
        pdf.add_page()
        if layout.cut_marks:
            _cut_marks(pdf, layout)
        for place, badge in enumerate(badges[start : start + layout.per_page]):
            x = (place % layout.columns) * width
            y = (place // layout.columns) * height
            if height > width:
                _portrait(pdf, badge, x, y, width, height, band)
            else:
                _landscape(pdf, badge, x, y, width, height, band)
    return bytes(pdf.output())


# The layouts. Everything keeps 7 mm or more from the badge's edges: printers leave a few
# millimetres unprinted, and a cut a millimetre off must not touch the text.


def _portrait(pdf: FPDF, badge: Badge, x: float, y: float, w: float, h: float, band: RGB) -> None:
    margin = 8.0
    inner = w - 2 * margin
    top = y + margin
    top = _text_block(pdf, badge.conference_title, x + margin, top, inner, 11, "", 2) + 6
    qr_size = 34.0
    band_height = 14.0
    band_top = y + h - margin - band_height
    qr_top = band_top - 4 - qr_size
    name_bottom = qr_top - 4
    affiliation_space = _line(11) * 2 if badge.affiliation else 0
    size, lines = fit_lines(pdf, badge.name, inner, name_bottom - top - affiliation_space, 34, 12)
    top = _draw_lines(pdf, lines, x + margin, top, inner, size, "B")
    if badge.affiliation:
        _text_block(pdf, badge.affiliation, x + margin, top + 1, inner, 11, "", 2)
    _qr(pdf, badge.checkin_code, x + (w - qr_size) / 2, qr_top, qr_size)
    _band(pdf, badge.category, x + margin, band_top, inner, band_height, 14, band)


def _landscape(pdf: FPDF, badge: Badge, x: float, y: float, w: float, h: float, band: RGB) -> None:
    margin = 7.0
    qr_size = 26.0
    text_width = w - 2 * margin - qr_size - 4
    top = y + margin
    top = _text_block(pdf, badge.conference_title, x + margin, top, text_width, 8, "", 2) + 3
    band_height = 9.0
    band_top = y + h - margin - band_height
    affiliation_space = _line(9) * 2 if badge.affiliation else 0
    size, lines = fit_lines(
        pdf, badge.name, text_width, band_top - 2 - top - affiliation_space, 24, 9
    )
    top = _draw_lines(pdf, lines, x + margin, top, text_width, size, "B")
    if badge.affiliation:
        _text_block(pdf, badge.affiliation, x + margin, top + 0.5, text_width, 9, "", 2)
    _qr(pdf, badge.checkin_code, x + w - margin - qr_size, y + margin, qr_size)
    _band(pdf, badge.category, x + margin, band_top, text_width, band_height, 10, band)


def _line(size: float) -> float:
    """The height in mm of a line of text of ``size`` points."""
    return size * MM_PER_PT * LINE_HEIGHT


def fit_lines(
    pdf: FPDF, text: str, width: float, height: float, largest: float, smallest: float
) -> tuple[float, list[str]]:
    """The largest font size (at most ``largest`` points) at which ``text`` fits ``width`` ×
    ``height`` mm in bold, on one line or on two, and the lines. Two lines are split at the
    space that balances them best, or, for text without spaces (a Chinese name), in the
    middle. A text too long even at ``smallest`` points shrinks further: a name is never cut.
    """
    text = " ".join(text.split())
    pdf.set_font(FAMILY, "B", largest)
    options: list[tuple[float, list[str]]] = []
    for lines in _splits(text):
        widest = max(pdf.get_string_width(line) for line in lines) or 1.0
        by_width = largest * width / widest
        by_height = height / (len(lines) * MM_PER_PT * LINE_HEIGHT)
        options.append((min(largest, by_width, by_height), lines))
    # One line unless two give a clearly larger name (a fifth larger, at least).
    size, lines = options[0]
    if len(options) > 1 and options[1][0] > size * 1.2:
        size, lines = options[1]
    if size < smallest and len(options) > 1 and options[1][0] > size:
        size, lines = options[1]
    return max(size, 1.0), lines


def _splits(text: str) -> list[list[str]]:
    if not text:
        return [[""]]
    splits = [[text]]
    words = text.split(" ")
    if len(words) > 1:
        cuts = [
            (abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))), i)
            for i in range(1, len(words))
        ]
        _balance, cut = min(cuts)
        splits.append([" ".join(words[:cut]), " ".join(words[cut:])])
    elif len(text) > 3:
        middle = (len(text) + 1) // 2
        splits.append([text[:middle], text[middle:]])
    return splits


def _draw_lines(
    pdf: FPDF, lines: list[str], x: float, y: float, width: float, size: float, style: str
) -> float:
    pdf.set_font(FAMILY, style, size)
    pdf.set_text_color(0, 0, 0)
    for line in lines:
        pdf.set_xy(x, y)
        pdf.cell(width, _line(size), line, align="C")
        y += _line(size)
    return y


def _text_block(
    pdf: FPDF, text: str, x: float, y: float, width: float, size: float, style: str, lines: int
) -> float:
    """``text`` centred in at most ``lines`` lines, made smaller when it needs more."""
    text = " ".join(text.split())
    if not text:
        return y
    pdf.set_font(FAMILY, style, size)
    while (
        size > 5
        and len(
            cast(list[str], pdf.multi_cell(width, _line(size), text, dry_run=True, output="LINES"))
        )
        > lines
    ):
        size -= 0.5
        pdf.set_font(FAMILY, style, size)
    pdf.set_text_color(60, 60, 60)
    pdf.set_xy(x, y)
    pdf.multi_cell(width, _line(size), text, align="C", max_line_height=_line(size))
    return pdf.get_y()


def _band(
    pdf: FPDF, text: str, x: float, y: float, w: float, h: float, size: float, colour: RGB
) -> None:
    pdf.set_fill_color(*colour)
    pdf.rect(x, y, w, h, style="F")
    pdf.set_font(FAMILY, "B", size)
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(x, y)
    pdf.cell(w, h, text.upper() if text.isascii() else text, align="C")


def _qr(pdf: FPDF, code: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares, one rectangle per run of dark modules in a row."""
    qr = segno.make(code, error="m", mask=2)  # the same code as the mailed one
    matrix = qr.matrix
    quiet = 2  # modules of white around it (the badge's white is more)
    module = size / (len(matrix) + 2 * quiet)
    pdf.set_fill_color(0, 0, 0)
    for row_number, row in enumerate(matrix):
        top = y + (row_number + quiet) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run = column
            while run < len(row) and row[run]:
                run += 1
            # A hair wider and taller, so no white seam shows between neighbouring modules.
            pdf.rect(
                x + (column + quiet) * module,
                top,
                (run - column) * module + 0.01,
                module + 0.01,
                style="F",
            )
            column = run


def _cut_marks(pdf: FPDF, layout: BadgeFormat) -> None:
    width, height = layout.badge
    page_width, page_height = layout.page
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    for column in range(1, layout.columns):
        x = column * width
        pdf.line(x, 0, x, CUT_MARK)
        pdf.line(x, page_height - CUT_MARK, x, page_height)
    for row in range(1, layout.rows):
        y = row * height
        pdf.line(0, y, CUT_MARK, y)
        pdf.line(page_width - CUT_MARK, y, page_width, y)
    bottom = layout.rows * height
    if page_height - bottom > 0.5:  # the sheet of 8 leaves a millimetre below the last row
        pdf.line(0, bottom, CUT_MARK, bottom)
        pdf.line(page_width - CUT_MARK, bottom, page_width, bottom)
    half = CUT_MARK / 2
    for column in range(1, layout.columns):
        for row in range(1, layout.rows):
            x, y = column * width, row * height
            pdf.line(x - half, y, x + half, y)
            pdf.line(x, y - half, x, y + half)


def _rgb(colour: str) -> RGB:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


# Fonts, read once per process.

# Tables that badges never use (glyph substitution and positioning, vertical writing, the
# baselines of mixed scripts): fpdf2 drops them from the embedded subset anyway, but the
# subsetter would first read and prune them, which took half of the time of each document.
UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx")

_faces: dict[tuple[str, str, float], TTFFont] = {}
_faces_lock = Lock()


def _add_font(pdf: FPDF, path: str, style: str) -> None:
    """``pdf.add_font`` with the parsed face kept for the next document.

    fpdf2 parses the whole character map and the widths of all 65 535 glyphs of a face
    (about 0.45 s for one face of Noto CJK); subsetting at output then changes its font
    object in place. So each document gets a copy of the parsed face that shares the
    read-only tables (widths, character map) but has its own lazily read font file and its
    own subset. Keyed by the file's modification time too: a replaced file is read again.
    """
    face = SC_FACE if path.lower().endswith((".ttc", ".otc")) else 0
    key = (path, style, os.path.getmtime(path))
    with _faces_lock:
        template = _faces.get(key)
        if template is None:
            scratch = FPDF()
            scratch.add_font(FAMILY, style, path, collection_font_number=face)
            parsed = scratch.fonts[f"{FAMILY}{style.upper()}"]
            assert isinstance(parsed, TTFFont)
            template = _faces[key] = parsed
    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(path, recalcTimestamp=False, fontNumber=face, lazy=True)
    for tag in UNUSED_TABLES:
        if tag in font.ttfont:
            del font.ttfont[tag]
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[f"{FAMILY}{style.upper()}"] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")  # what fpdf2's add_font does for such fonts
