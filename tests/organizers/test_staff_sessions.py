"""Staff sessions live on the server: logging out, a new password and deactivation end them,
whatever copy of the cookie is left; forgot-password reveals nothing, not even by its timing."""

from datetime import timedelta

import sqlalchemy as sa
from freezegun import freeze_time

from eventreg.accounts import services
from eventreg.accounts.models import PasswordResetRequest, StaffSession, User
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token
from eventreg.mail.hooks import prepare_mail
from eventreg.mail.models import OutboxMessage
from tests.conftest import count_queries, csrf_token_from
from tests.mail.mailbox import deliver, text_body
from tests.organizers.conftest import PASSWORD, log_in_with_form, make_user, post_form


def logged_in(client) -> bool:
    return client.get("/manage/").status_code == 200


def session_cookie(client) -> str:
    return client.get_cookie("session", domain="eventreg.test").value


def with_cookie(app, value: str):
    """Another browser that holds a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value, domain="eventreg.test")
    return thief


def log_out(client):
    token = csrf_token_from(client.get("/manage/").text)
    return client.post("/manage/logout", data={"csrf_token": token})


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client):
    make_user("ada@example.org")
    log_in_with_form(client, "ada@example.org")
    copied = session_cookie(client)
    assert logged_in(with_cookie(app, copied))

    assert log_out(client).status_code == 302

    assert not logged_in(client)
    assert not logged_in(with_cookie(app, copied))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 0


def test_the_cookie_holds_a_secret_and_the_database_only_its_hash(app, client):
    user = make_user("ada@example.org")
    log_in_with_form(client, "ada@example.org")

    (row,) = db.session.scalars(sa.select(StaffSession)).all()
    with client.session_transaction() as session:
        secret = session["_user_id"]
    assert row.user_id == user.id
    assert row.token_hash == hash_token(secret)
    assert secret not in row.token_hash and str(user.id) != secret


def test_logging_in_and_out_is_in_the_account_history(app, client):
    make_user("ada@example.org")
    log_in_with_form(client, "ada@example.org")
    log_out(client)

    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("user.log%"))
    ).all()
    assert sorted(actions) == ["user.logged_in", "user.logged_out"]


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app):
    make_user("ada@example.org")
    laptop, phone = app.test_client(), app.test_client()
    log_in_with_form(laptop, "ada@example.org")
    log_in_with_form(phone, "ada@example.org")
    copied_from_laptop = session_cookie(laptop)

    response = post_form(
        laptop,
        "/manage/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
        },
    )

    assert response.status_code == 302
    assert logged_in(laptop)
    assert logged_in(with_cookie(app, copied_from_laptop))  # the same session: it stays
    assert not logged_in(phone)


def test_a_password_set_through_a_reset_link_ends_every_session(app, client):
    user = make_user("ada@example.org")
    log_in_with_form(client, "ada@example.org")

    services.set_password_from_link(user, "chosen through the link")

    assert not logged_in(client)


def test_a_deactivated_account_is_logged_out_everywhere(app, client):
    admin = make_user("admin@example.org", is_admin=True)
    user = make_user("lin@example.org")
    log_in_with_form(client, "lin@example.org")

    services.update_user(
        admin, user, name="Lin", is_admin=False, may_create_conferences=False, active=False
    )

    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 0
    services.update_user(
        admin, user, name="Lin", is_admin=False, may_create_conferences=False, active=True
    )
    assert not logged_in(client)  # coming back needs a new login


def test_a_session_expires(app, client):
    make_user("ada@example.org")
    log_in_with_form(client, "ada@example.org")
    assert logged_in(client)

    later = timedelta(seconds=app.config["STAFF_SESSION_MAX_AGE"] + 1)
    with freeze_time(db.session.scalar(sa.select(StaffSession.expires_at)) + later):
        assert not logged_in(client)


def test_a_forged_or_overlong_session_id_is_not_logged_in(app, client):
    make_user("ada@example.org")
    for forged in ("1", "1:0123456789abcdef", "x" * 5000):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert not logged_in(client), forged


# --- forgot-password: the same work for every address ----------------------------------------


def forgot(client, email: str):
    page = client.get("/manage/password/forgot")
    data = {"csrf_token": csrf_token_from(page.text), "email": email}
    with count_queries() as queries:
        response = client.post("/manage/password/forgot", data=data)
    return response, queries.statements


def test_forgot_password_runs_the_same_statements_whether_or_not_the_account_exists(app):
    make_user("ada@example.org")
    make_user("gone@example.org").active = False
    db.session.commit()

    known, known_sql = forgot(app.test_client(), "ada@example.org")
    missing, missing_sql = forgot(app.test_client(), "nobody@example.org")
    inactive, inactive_sql = forgot(app.test_client(), "gone@example.org")

    assert known.status_code == missing.status_code == inactive.status_code == 302
    assert known.location == missing.location == inactive.location
    assert known_sql == missing_sql == inactive_sql
    assert len(known_sql) <= 4  # begin, one insert, commit (no lookup of the account)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_sender_mails_the_link_only_to_an_active_account_and_forgets_the_requests(app):
    make_user("ada@example.org")
    make_user("gone@example.org").active = False
    db.session.commit()
    for email in ("ada@example.org", "nobody@example.org", "gone@example.org"):
        forgot(app.test_client(), email)

    prepare_mail()

    (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
    assert (message.kind, message.recipient) == ("password_reset", "ada@example.org")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest)) == 0


def test_the_reset_mail_keeps_the_language_of_the_form(app, client):
    make_user("ada@example.org")
    client.get("/manage/password/forgot?lang=it")
    forgot(client, "ada@example.org")

    prepare_mail()

    (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.subject != "Reset your eventreg password"  # Italian, as the form was


def test_the_reset_mail_really_arrives(app, smtp_server, runner):
    app.config.update(smtp_server.app_config)
    make_user("ada@example.org")
    forgot(app.test_client(), "ada@example.org")

    # What `flask deliver-mail`, the background sender and Celery run: prepare, then send.
    (message,) = deliver(smtp_server)

    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert "http://eventreg.test/manage/password/reset/" in text_body(message)


def test_a_staff_name_with_a_line_break_already_stored_breaks_nothing(app, smtp_server):
    app.config.update(smtp_server.app_config)
    user = make_user("eve@example.org")
    user.name = "Eve\r\nBcc: victim@example.org"  # written straight to the database
    db.session.commit()
    client = app.test_client()

    response, _statements = forgot(client, "eve@example.org")
    (message,) = deliver(smtp_server)

    assert response.status_code == 302
    assert client.get(response.location).status_code == 200
    assert message["Bcc"] is None
    assert smtp_server.received[0].rcpt_tos == ("eve@example.org",)
    assert db.session.get(User, user.id).name == "Eve\r\nBcc: victim@example.org"
