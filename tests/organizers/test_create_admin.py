"""``flask --app eventreg create-admin EMAIL``: the first administrator, from the command line."""

import sqlalchemy as sa

from eventreg.accounts.models import User
from eventreg.core.extensions import db
from tests.organizers.conftest import log_in_with_form, make_user


def test_create_admin_reads_the_password_from_standard_input(app, runner, client):
    result = runner.invoke(args=["create-admin", "Boss@Example.org"], input="a long secret\n")

    assert result.exit_code == 0, result.output
    assert "Created the administrator boss@example.org." in result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "boss@example.org" and user.is_admin and user.active
    assert log_in_with_form(client, "boss@example.org", "a long secret").status_code == 302
    assert "Accounts" in client.get("/manage/").text


def test_create_admin_refuses_a_short_password_and_creates_nothing(app, runner):
    result = runner.invoke(args=["create-admin", "boss@example.org"], input="short\n")

    assert result.exit_code == 1
    assert "Use at least 10 characters." in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_admin_refuses_an_invalid_address(app, runner):
    result = runner.invoke(args=["create-admin", "not an address"], input="a long secret\n")

    assert result.exit_code == 1
    assert "This is not a valid e-mail address" in result.output


def test_create_admin_on_an_existing_account_promotes_it_with_the_new_password(app, runner, client):
    make_user("boss@example.org")

    result = runner.invoke(args=["create-admin", "boss@example.org"], input="the new secret\n")

    assert result.exit_code == 0, result.output
    assert "now an active administrator" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(User.is_admin))
    assert log_in_with_form(client, "boss@example.org", "the new secret").status_code == 302
