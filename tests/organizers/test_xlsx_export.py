"""The attendee export as an Excel workbook: the same table as the CSV, every cell text."""

import csv
import io

import pytest
from openpyxl import load_workbook

from eventreg.core.extensions import db
from eventreg.registration.models import Answer, Question
from tests.organizers.test_attendees import conference, register  # noqa: F401  (fixture)


def read_xlsx(response):
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["Attendees"]
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


def test_the_workbook_has_every_registration_with_its_answers_as_columns(client, conference):  # noqa: F811
    diet = Question(conference=conference, label="Diet", kind="short_text", position=1)
    db.session.add(diet)
    li = register(conference, "李娜", email="lina@example.org", affiliation="深圳大学")
    register(conference, "Marco Bianchi", "waiting")
    db.session.add(Answer(registration=li, question=diet, value="Vegetarian"))
    db.session.commit()

    response = client.get("/manage/c/sz/attendees.xlsx")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="sz-attendees.xlsx"'
    rows, _sheet = read_xlsx(response)
    header = rows[0]
    assert header[:3] == ["id", "full_name", "email"] and header[-1] == "Diet"
    as_dicts = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [row["full_name"] for row in as_dicts] == ["李娜", "Marco Bianchi"]
    assert as_dicts[0]["affiliation"] == "深圳大学"
    assert as_dicts[0]["Diet"] == "Vegetarian"
    assert as_dicts[1]["status"] == "waiting"


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+39 02 1234", "'+39 02 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("Plain Name", "Plain Name"),
        ("Bell\x07 in a name", "Bell in a name"),
        # A control character the workbook cannot hold is dropped before the check, so it
        # cannot hide the formula behind it.
        ('\x01=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("\x1b\x02+1", "'+1"),
        ("\x7f@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ],
)
def test_no_cell_of_the_workbook_is_a_formula(client, conference, typed, exported):  # noqa: F811
    register(conference, typed, affiliation=typed)

    rows, sheet = read_xlsx(client.get("/manage/c/sz/attendees.xlsx"))

    assert rows[1][1] == exported and rows[1][3] == exported
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_control_character_does_not_hide_a_formula_in_the_csv_either(client, conference):  # noqa: F811
    register(conference, '\x01=HYPERLINK("http://evil.example")')

    text = client.get("/manage/c/sz/attendees.csv").get_data(as_text=True)

    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["full_name"] == '\'=HYPERLINK("http://evil.example")'
    assert "\x01" not in text
