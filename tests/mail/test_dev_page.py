"""The development page listing delivered .eml files; off unless DEV_MAIL_PAGE is set."""

import pytest

from eventreg.core.extensions import db
from eventreg.mail.delivery import deliver_due
from eventreg.registration import notifications
from tests.factories import make_conference, make_talk
from tests.invites.parsers import parse_agreed
from tests.mail.builders import make_registration


@pytest.fixture
def app_config(tmp_path):
    return {"DEV_MAIL_PAGE": True, "MAIL_SERVER": None, "MAIL_FILE_DIR": str(tmp_path)}


def delivered_files(tmp_path) -> list[str]:
    conference = make_conference(title="Biotech <Shenzhen>")
    make_talk(conference)
    notifications.registration_received(make_registration(conference), "secret")
    notifications.registration_received(
        make_registration(conference, status="waiting"), "s2", position=1
    )
    db.session.commit()
    deliver_due()
    return sorted(path.name for path in tmp_path.glob("*.eml"))


def test_the_page_lists_each_delivered_message_with_its_files(client, tmp_path):
    confirmed, waiting = delivered_files(tmp_path)

    page = client.get("/_dev/mail/")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your seat at Biotech &lt;Shenzhen&gt; is confirmed" in html
    assert f'href="/_dev/mail/{confirmed}"' in html
    assert f'href="/_dev/mail/{confirmed}/invite.ics"' in html
    assert f'href="/_dev/mail/{waiting}/invite.ics"' not in html  # no invite to open
    assert "2 sent" in html


def test_a_message_and_its_invite_can_be_downloaded(client, tmp_path):
    confirmed, waiting = delivered_files(tmp_path)

    eml = client.get(f"/_dev/mail/{confirmed}")
    invite = client.get(f"/_dev/mail/{confirmed}/invite.ics")

    assert eml.status_code == 200
    assert eml.mimetype == "message/rfc822"
    assert eml.data == (tmp_path / confirmed).read_bytes()
    assert invite.status_code == 200
    assert invite.mimetype == "text/calendar"
    assert parse_agreed(invite.data)[0] == "REQUEST"
    assert client.get(f"/_dev/mail/{waiting}/invite.ics").status_code == 404


@pytest.mark.parametrize("name", ["..%2Fsecret_key", "x.eml", "20260101-000000-00000001.eml"])
def test_only_delivered_files_can_be_opened(client, tmp_path, name):
    assert client.get(f"/_dev/mail/{name}").status_code == 404


@pytest.mark.parametrize("app_config", [{}])
def test_the_page_does_not_exist_unless_enabled(client):
    assert client.get("/_dev/mail/").status_code == 404
