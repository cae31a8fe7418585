"""The badge layout: formats, pages, the text in its own script, the embedded font, the QR
code the desk reads, cut marks. The PDFs are read back with pypdf."""

import io
from collections import Counter

import pytest
import segno
from fpdf import FPDF
from pypdf import PdfReader
from pypdf.generic import ContentStream

from eventreg.registration import badges

A6_POINTS = (297.64, 419.53)
A4_POINTS = (595.28, 841.89)


def badge(name="张伟", **fields) -> badges.Badge:
    values = {
        "name": name,
        "affiliation": "深圳市人民政府外事办公室",
        "category": "讲者",
        "conference_title": "深圳—意大利大会 2027",
        "checkin_code": "code-of-" + name,
    }
    values.update(fields)
    return badges.Badge(**values)


def italian() -> badges.Badge:
    return badge(
        "Niccolò Bellincampi",
        affiliation="Università degli Studi di Firenze",
        category="Partecipante",
        conference_title="Conferenza Shenzhen–Italia 2027",
    )


def text_of(pdf: bytes) -> str:
    """All text of the PDF. fpdf2 embeds CID-keyed CFF fonts (Noto CJK) with a CMap stream
    as their /Encoding; pypdf reads such an encoding as one-byte codes, so each two-byte
    character comes out behind a NUL. The characters themselves are right (they come from
    the /ToUnicode map): the NULs are dropped. Line breaks count as spaces (a long name may
    take two lines)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    return " ".join(text.split())


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [
        (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2))
        for page in reader.pages
    ]


def operations(pdf: bytes, page_number: int = 0) -> list[tuple[list, bytes]]:
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[page_number]
    return ContentStream(page.get_contents(), reader).operations


def qr_matrices(pdf: bytes, page_number: int = 0) -> list[list[list[bool]]]:
    """The QR codes drawn on a page, read back from their filled squares: rectangles of the
    module height, grouped into codes by their distance, turned back into module rows."""
    rects = []
    for operands, operator in operations(pdf, page_number):
        if operator == b"re":
            x, y, w, h = (float(value) for value in operands)
            rects.append([x, max(y, y + h), w, abs(h)])  # the top edge, whichever way drawn
    module = Counter(round(h, 2) for _x, _y, _w, h in rects).most_common(1)[0][0]
    modules = [r for r in rects if abs(r[3] - module) < 0.01]
    codes: list[list[list[float]]] = []
    for rect in sorted(modules, key=lambda r: (r[0], -r[1])):
        for code in codes:
            if abs(code[0][0] - rect[0]) < 40 * module and abs(code[0][1] - rect[1]) < 40 * module:
                code.append(rect)
                break
        else:
            codes.append([rect])
    matrices = []
    for code in codes:
        left = min(r[0] for r in code)
        top = max(r[1] for r in code)
        size = round((max(r[0] + r[2] for r in code) - left) / module)
        rows = [[False] * size for _ in range(size)]
        for x, y, w, _h in code:
            row = round((top - y) / module)
            for column in range(round((x - left) / module), round((x - left + w) / module)):
                rows[row][column] = True
        matrices.append(rows)
    return matrices


def matrix_of(code: str) -> list[list[bool]]:
    return [[bool(m) for m in row] for row in segno.make(code, error="m", mask=2).matrix]


@pytest.mark.parametrize(
    ("format_key", "pages", "size"),
    [("a6", 9, A6_POINTS), ("a4-4", 3, A4_POINTS), ("a4-8", 2, A4_POINTS)],
)
def test_each_format_fills_its_pages(format_key, pages, size):
    pdf = badges.render([badge(f"名字{n}") for n in range(9)], format_key)
    assert pdf.startswith(b"%PDF-")
    assert page_sizes(pdf) == [size] * pages


def test_a_sheet_of_four_holds_four_a6_badges():
    layout = badges.FORMATS["a4-4"]
    assert (layout.columns, layout.rows, layout.badge) == (2, 2, (105, 148))
    layout = badges.FORMATS["a4-8"]
    assert (layout.columns, layout.rows, layout.badge) == (2, 4, (105, 74))


@pytest.mark.parametrize("format_key", sorted(badges.FORMATS))
def test_names_keep_their_own_script(format_key):
    text = text_of(badges.render([badge(), italian()], format_key))
    assert "张伟" in text
    assert "深圳市人民政府外事办公室" in text
    assert "深圳—意大利大会 2027" in text
    assert "Niccolò Bellincampi" in text
    assert "Università degli Studi di Firenze" in text
    assert "Conferenza Shenzhen–Italia 2027" in text


def test_a_latin_category_is_in_capitals_and_a_chinese_one_as_written():
    text = text_of(badges.render([badge(), italian()], "a6"))
    assert "PARTECIPANTE" in text
    assert "讲者" in text


def test_the_embedded_font_is_noto_cjk_simplified_chinese():
    reader = PdfReader(io.BytesIO(badges.render([badge()], "a6")))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = set()
    for font in fonts.values():
        font = font.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor  # embedded (a subset), not left to the reader
        names.add(str(font["/BaseFont"]).split("+", 1)[1])
    assert names == {"/NotoSansCJKSC", "/NotoSansCJKSCBold"} or names == {
        "NotoSansCJKSC",
        "NotoSansCJKSCBold",
    }


def test_each_badge_carries_the_qr_code_of_its_own_check_in_code():
    codes = ["eyJpZCI6MX0.first", "eyJpZCI6Mn0.second"]
    pdf = badges.render(
        [badge("甲", checkin_code=codes[0]), badge("乙", checkin_code=codes[1])], "a4-8"
    )
    drawn = qr_matrices(pdf)
    assert len(drawn) == 2
    assert sorted(map(str, drawn)) == sorted(str(matrix_of(code)) for code in codes)


def test_sheets_have_cut_marks_and_single_badges_none():
    lines = lambda pdf: sum(1 for _o, operator in operations(pdf) if operator == b"l")  # noqa: E731
    assert lines(badges.render([badge()], "a6")) == 0
    # Sheet of 4: two ticks per inner grid line, two for the bottom edge (A4 is a millimetre
    # taller than two A6), and one cross in the middle.
    assert lines(badges.render([badge()], "a4-4")) == 2 + 2 + 2 + 2
    # Sheet of 8: one column line, three row lines, the bottom edge, three crosses.
    assert lines(badges.render([badge()], "a4-8")) == 2 + 3 * 2 + 2 + 3 * 2


def test_the_category_band_takes_the_conference_colour():
    fills = lambda pdf: {  # noqa: E731
        tuple(round(float(v), 3) for v in operands)
        for operands, operator in operations(pdf)
        if operator == b"rg"
    }
    assert (0.0, 0.4, 0.8) in fills(badges.render([badge()], "a6", accent="#0066cc"))
    assert (0.0, 0.4, 0.8) not in fills(badges.render([badge()], "a6"))


def test_an_empty_list_still_makes_a_valid_pdf_of_one_blank_page():
    assert page_sizes(badges.render([], "a6")) == [A6_POINTS]


def test_a_missing_font_file_is_named():
    with pytest.raises(badges.FontMissing) as missing:
        badges.render([badge()], "a6", font_path="/nowhere/NotoSansCJK-Regular.ttc")
    assert missing.value.path == "/nowhere/NotoSansCJK-Regular.ttc"
    assert badges.missing_fonts("/nowhere/x.ttc", badges.DEFAULT_FONT_PATH) == ["/nowhere/x.ttc"]


def test_the_parsed_font_is_kept_and_every_document_still_gets_its_own_subset():
    badges.render([badge("张伟")], "a6")
    cached = dict(badges._faces)
    first = text_of(badges.render([badge("王芳")], "a6"))
    second = text_of(badges.render([italian()], "a6"))
    assert badges._faces == cached and len(cached) == 2  # regular and bold, read once
    assert "王芳" in first and "Niccolò" not in first
    assert "Niccolò Bellincampi" in second and "王芳" not in second


@pytest.fixture
def pdf_with_font() -> FPDF:
    pdf = FPDF(unit="mm", format=(105, 148))
    badges._add_font(pdf, badges.DEFAULT_BOLD_FONT_PATH, "B")
    return pdf


def test_a_short_name_is_as_large_as_allowed_on_one_line(pdf_with_font):
    assert badges.fit_lines(pdf_with_font, "张伟", 89, 40, 34, 12) == (34, ["张伟"])
    assert badges.fit_lines(pdf_with_font, "Ada Lovelace", 89, 40, 34, 12) == (34, ["Ada Lovelace"])


def test_a_long_name_breaks_into_two_balanced_lines_and_shrinks_to_fit(pdf_with_font):
    name = "Maria Francesca Bellincampi Gherardesca"
    size, lines = badges.fit_lines(pdf_with_font, name, 89, 40, 34, 12)
    assert lines == ["Maria Francesca", "Bellincampi Gherardesca"]
    assert 12 <= size < 34
    pdf_with_font.set_font(badges.FAMILY, "B", size)
    assert max(pdf_with_font.get_string_width(line) for line in lines) <= 89 + 0.01


def test_a_name_too_long_for_two_lines_shrinks_further_but_is_never_cut(pdf_with_font):
    name = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft Senior"
    size, lines = badges.fit_lines(pdf_with_font, name, 50, 20, 34, 12)
    assert " ".join(lines) == name
    pdf_with_font.set_font(badges.FAMILY, "B", size)
    assert max(pdf_with_font.get_string_width(line) for line in lines) <= 50 + 0.01
