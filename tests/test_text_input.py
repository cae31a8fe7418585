"""Control characters are refused where text comes in: every form (one base class), and the
account services that the command line and scripts call."""

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField, TextAreaField

from eventreg.accounts import api_tokens, services
from eventreg.accounts.models import ApiToken, User
from eventreg.conferences.models import Room, Track
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.core.forms import Form
from eventreg.organizers import forms as organizer_forms
from eventreg.site import forms as site_forms
from tests.factories import make_conference
from tests.organizers.conftest import give_role, log_in_with_form, make_user, post_form

SINGLE_LINE = "Please use a single line without control characters."
MULTILINE = "Please remove the control characters from this text."


def test_every_form_of_the_site_and_the_workspace_checks_its_text_fields():
    for module in (site_forms, organizer_forms):
        for name in dir(module):
            candidate = getattr(module, name)
            if isinstance(candidate, type) and name.endswith("Form") and candidate is not Form:
                assert issubclass(candidate, Form), f"{module.__name__}.{name}"


class Sample(Form):
    class Meta:
        csrf = False

    name = StringField()
    bio = TextAreaField()
    password = PasswordField()


@pytest.mark.parametrize(
    ("name", "bio", "errors"),
    [
        ("Ada", "Line one\r\nLine two\twith a tab", {}),
        ("Ada\r\nBcc: x@example.org", "", {"name": [SINGLE_LINE]}),
        ("Ada\nLovelace", "", {"name": [SINGLE_LINE]}),
        ("Ada\tLovelace", "", {"name": [SINGLE_LINE]}),
        ("Ada\x00", "", {"name": [SINGLE_LINE]}),
        ("Ada\x85", "", {"name": [SINGLE_LINE]}),  # C1 (NEXT LINE)
        ("Ada", "Bell\x07", {"bio": [MULTILINE]}),
        ("Ada", "Escape\x1b[31m", {"bio": [MULTILINE]}),
        ("Ada", "C1\x9b", {"bio": [MULTILINE]}),
    ],
)
def test_single_lines_take_no_control_character_and_paragraphs_only_tabs_and_breaks(
    app, name, bio, errors
):
    with app.test_request_context(method="POST"):
        form = Sample(formdata=MultiDict({"name": name, "bio": bio, "password": "pass\x01word"}))
        assert form.validate() is (not errors)
        assert form.errors == errors  # passwords are left as typed


def test_a_name_with_a_line_break_in_the_account_form_is_refused_and_nothing_is_written(
    app, client
):
    make_user("admin@example.org", is_admin=True)
    log_in_with_form(client, "admin@example.org")

    response = post_form(
        client,
        "/manage/users/new",
        {"email": "eve@example.org", "name": "Eve\r\nBcc: victim@example.org"},
    )

    assert response.status_code == 400
    assert SINGLE_LINE in response.text
    assert db.session.scalar(sa.select(User).filter_by(email="eve@example.org")) is None


@pytest.mark.parametrize(
    ("section", "fields", "model"),
    [
        ("rooms", {"name": "Hall\x0bA"}, Room),
        ("rooms", {"name": "Hall A", "description": "Ground floor\r\nleft"}, Room),
        ("tracks", {"name": "Science", "color": "#112233", "description": "Bell\x07"}, Track),
    ],
)
def test_control_characters_in_the_conference_editors_are_refused(
    app, client, section, fields, model
):
    conference = make_conference()
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    log_in_with_form(client, "organizer@example.org")

    response = post_form(client, f"/manage/c/{conference.slug}/{section}", fields)

    assert response.status_code == 400
    assert SINGLE_LINE in response.text or MULTILINE in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_the_account_services_refuse_control_characters_from_any_caller(app):
    with pytest.raises(Invalid) as refused:
        services.create_user(None, "eve@example.org", name="Eve\r\nBcc: x@example.org")
    assert refused.value.errors == {"name": SINGLE_LINE}
    with pytest.raises(Invalid) as refused:
        services.create_or_promote_admin("ad\x00min@example.org", "a long enough password")
    assert set(refused.value.errors) == {"email"}

    admin = make_user("admin@example.org", is_admin=True)
    user = make_user("lin@example.org")
    with pytest.raises(Invalid):
        services.update_user(
            admin, user, name="Lin\x1b", is_admin=False, may_create_conferences=False, active=True
        )
    with pytest.raises(Invalid):
        api_tokens.issue(user, "deploy\x00script")

    db.session.rollback()
    assert db.session.scalar(sa.select(User.name).filter_by(email="lin@example.org")) == ""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    assert db.session.scalar(sa.select(User).filter_by(email="eve@example.org")) is None
