"""The "your data has been erased" page: public for published conferences only."""

from eventreg.core.extensions import db
from tests.factories import make_conference
from tests.registration.helpers import latest_link_for, page_text, post_form, register


def test_the_erased_page_of_a_draft_is_a_404_that_names_nothing(app, client):
    make_conference(slug="secret-summit", title="Secret Summit 2031", published=False)

    response = client.get("/c/secret-summit/erased")

    assert response.status_code == 404
    assert "Secret Summit" not in response.get_data(as_text=True)
    assert client.get("/c/no-such-conference/erased").status_code == 404


def test_the_erased_page_of_a_published_conference_names_it(app, client):
    make_conference(slug="open-summit", title="Open Summit 2031")

    response = client.get("/c/open-summit/erased")

    assert response.status_code == 200
    assert "Open Summit 2031" in page_text(response)


def test_erasing_from_a_conference_unpublished_since_still_confirms_the_erasure(app, client):
    conference = make_conference(title="Withdrawn Summit")
    register(client, conference, email="ada@example.org")
    link = latest_link_for("ada@example.org")
    conference.published = False
    db.session.commit()

    response = post_form(client, link + "/erase")

    assert response.status_code == 200
    assert "Your data has been erased" in page_text(response)
    assert client.get(link).status_code == 404
