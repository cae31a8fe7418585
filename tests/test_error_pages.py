"""The 500 page: the site's own, in the reader's language, and answered without the
database (the error may be the database)."""

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.extensions import db
from tests.conftest import count_queries, make_test_app

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def app_config():
    # Unexpected exceptions answered as a served app answers them, not raised into the test.
    return {"PROPAGATE_EXCEPTIONS": False}


def add_broken_route(app, path: str, view) -> None:
    app.add_url_rule(path, path.strip("/").replace("/", "_"), view)


def raise_a_bug():
    raise RuntimeError("a bug with a secret in it")


def test_an_unexpected_error_is_the_sites_page_in_the_readers_language(app, client):
    add_broken_route(app, "/broken", raise_a_bug)

    with count_queries() as queries:
        page = client.get("/broken", headers=CHINESE)

    assert page.status_code == 500
    assert page.mimetype == "text/html"
    assert 'class="site-header"' in page.text  # the site's frame, not Werkzeug's
    assert 'class="error-page"' in page.text
    assert '<html lang="zh-Hans">' in page.text
    assert "出了点问题" in page.text
    assert "服务器无法响应此请求" in page.text
    assert "Internal Server Error" not in page.text
    assert "secret" not in page.text
    assert queries.count == 0


def test_the_page_language_follows_the_readers_choice(app, client):
    add_broken_route(app, "/broken", raise_a_bug)

    page = client.get("/broken?lang=it", headers=CHINESE)

    assert page.status_code == 500
    assert "Qualcosa è andato storto" in page.text


def test_a_database_that_cannot_be_reached_still_gets_the_page(instance_path, tmp_path):
    unreachable = "sqlite:///" + str(tmp_path / "no-such-folder" / "eventreg.sqlite")
    app = make_test_app(unreachable, instance_path, PROPAGATE_EXCEPTIONS=False)

    def read_the_database():
        return str(db.session.scalar(sa.select(sa.func.count()).select_from(Conference)))

    add_broken_route(app, "/reads-the-database", read_the_database)

    page = app.test_client().get("/reads-the-database", headers=CHINESE)

    assert page.status_code == 500
    assert 'class="error-page"' in page.text
    assert "出了点问题" in page.text


def test_when_the_page_itself_fails_a_bare_translated_page_answers(app, client):
    add_broken_route(app, "/broken", raise_a_bug)

    @app.context_processor
    def broken_context():  # every template now fails, the error page included
        raise RuntimeError("the templates are broken too")

    page = client.get("/broken", headers=CHINESE)

    assert page.status_code == 500
    assert '<html lang="zh-Hans">' in page.text
    assert "<h1>出了点问题</h1>" in page.text
    assert "Internal Server Error" not in page.text
