"""Languages and time zones as a visitor meets them: the language picked from the switcher
or the browser, pages in Chinese and Italian, each attendee's mail and invites in the
language they registered in, and the schedule shown on the viewer's own clock."""

import email
import re
from datetime import date
from email import policy

import icalendar
import pytest
import sqlalchemy as sa
from flask_babel import refresh
from wtforms import IntegerField

from eventreg.core.extensions import db
from eventreg.core.forms import Form
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import compose_deferred
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_room, make_talk

WINTER_DAY = date(2037, 1, 24)  # Rome on CET (UTC+1), Shanghai on CST (UTC+8)


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.fixture
def conference(app):
    return make_conference(slug="sz", title="Shenzhen Summit", start_date=WINTER_DAY)


def test_the_browser_language_chooses_the_page_language(client, conference):
    chinese = client.get("/c/sz/schedule", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert html_lang(chinese.text) == "zh-Hans"
    assert "<h1>日程</h1>" in chinese.text
    italian = client.get("/c/sz/schedule", headers={"Accept-Language": "it-IT,it;q=0.8"})
    assert html_lang(italian.text) == "it"
    assert "<h1>Programma</h1>" in italian.text
    bare_zh = client.get("/c/sz/schedule", headers={"Accept-Language": "zh"})
    assert html_lang(bare_zh.text) == "zh-Hans"
    other = client.get("/c/sz/schedule", headers={"Accept-Language": "fr-FR"})
    assert html_lang(other.text) == "en"
    assert "<h1>Schedule</h1>" in other.text


def test_the_switcher_choice_is_remembered_over_the_browser_language(client, conference):
    page = client.get("/c/sz/schedule", headers={"Accept-Language": "en"})
    switch = re.search(r'<a href="([^"]+)" hreflang="it"', page.text).group(1)
    assert switch == "/c/sz/schedule?lang=it"
    assert "<h1>Programma</h1>" in client.get(switch).text
    later = client.get("/c/sz/", headers={"Accept-Language": "en"})
    assert html_lang(later.text) == "it"
    assert 'hreflang="it" lang="it" aria-current="true"' in later.text
    back = client.get("/c/sz/schedule?lang=zh", headers={"Accept-Language": "it"})
    assert html_lang(back.text) == "zh-Hans"
    assert html_lang(client.get("/c/sz/schedule").text) == "zh-Hans"


def test_an_unknown_language_choice_is_ignored(client, conference):
    page = client.get("/c/sz/schedule?lang=xx", headers={"Accept-Language": "it"})
    assert page.status_code == 200
    assert html_lang(page.text) == "it"


def test_the_switcher_keeps_the_other_query_parameters(client, conference):
    page = client.get("/c/sz/schedule?view=list&tz=Europe/Rome")
    assert 'href="/c/sz/schedule?view=list&amp;tz=Europe%2FRome&amp;lang=zh"' in page.text


def test_dates_are_written_the_way_each_language_writes_them(client, conference):
    make_talk(conference, day=WINTER_DAY, start="09:30", end="10:15")
    chinese = client.get("/c/sz/schedule?lang=zh").text
    assert "2037年1月24日星期六" in chinese
    italian = client.get("/c/sz/schedule?lang=it").text
    assert "sabato 24 gennaio 2037" in italian
    # a 24-hour clock in every language
    assert "09:30–10:15" in chinese and "09:30–10:15" in italian


def test_a_chinese_and_an_italian_registration_page_are_translated(client, conference):
    chinese = client.get("/c/sz/register?lang=zh").text
    assert "姓名" in chinese and "电子邮箱地址" in chinese
    assert "Full name" not in chinese
    italian = client.get("/c/sz/register?lang=it").text
    assert "Nome e cognome" in italian and "Indirizzo e-mail" in italian
    assert "Full name" not in italian


def test_validation_messages_are_translated(client, conference):
    form = client.get("/c/sz/register?lang=it").text
    answer = client.post(
        "/c/sz/register",
        data={"csrf_token": csrf_token_from(form), "full_name": "", "email": "x@example.org"},
    )
    assert answer.status_code == 400
    assert "Inserisci il tuo nome." in answer.text


def register(client, language: str, name: str, address: str) -> Registration:
    form = client.get(f"/c/sz/register?lang={language}").text
    answer = client.post(
        "/c/sz/register",
        data={
            "csrf_token": csrf_token_from(form),
            "full_name": name,
            "email": address,
            "consent": "y",
        },
    )
    assert answer.status_code == 303, answer.text
    return db.session.scalar(sa.select(Registration).filter_by(email=address))


def outbox_mail(registration: Registration, kind: str) -> email.message.EmailMessage:
    compose_deferred()  # as the sender does before sending
    row = db.session.scalar(
        sa.select(OutboxMessage)
        .filter_by(registration_id=registration.id, kind=kind)
        .order_by(OutboxMessage.id.desc())
    )
    assert row is not None, f"no {kind} message for {registration.email}"
    return email.message_from_bytes(row.raw, policy=policy.default)


def mail_texts(message) -> tuple[str, str, icalendar.Calendar | None]:
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    invite = None
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            invite = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    return plain, html, invite


@pytest.mark.parametrize(
    ("language", "subject_words", "body_words", "description_words"),
    [
        ("it", "è confermato", "Gentile Ada", "Ora locale della sede: sabato 24 gennaio 2037"),
        ("zh", "名额已确认", "Ada，您好", "会场当地时间：2037年1月24日星期六"),
    ],
)
def test_mail_and_invite_follow_the_language_of_the_registration(
    client, conference, language, subject_words, body_words, description_words
):
    registration = register(client, language, "Ada", f"ada-{language}@example.org")
    assert registration.locale == language
    message = outbox_mail(registration, kind="registration_confirmed")
    assert subject_words in message["Subject"]
    plain, html, invite = mail_texts(message)
    assert body_words in plain and body_words in html
    assert invite is not None, "the confirmation carries an invite"
    event = invite.walk("VEVENT")[0]
    assert description_words in str(event["DESCRIPTION"])


def test_later_mail_keeps_the_registration_language_whatever_the_page_language(client, conference):
    registration = register(client, "it", "Bea", "bea@example.org")
    # Asked for again from a page browsed in Chinese, the link still comes in Italian.
    form = client.get("/c/sz/resend?lang=zh").text
    answer = client.post(
        "/c/sz/resend", data={"csrf_token": csrf_token_from(form), "email": "bea@example.org"}
    )
    assert answer.status_code in (200, 303)
    message = outbox_mail(registration, kind="management_link")
    assert message["Subject"] == "Il tuo link di registrazione per Shenzhen Summit"
    plain, _html, _invite = mail_texts(message)
    assert "Ecco il link privato alla tua registrazione per Shenzhen Summit." in plain


# --- the viewer's own clock -------------------------------------------------------------


def test_the_schedule_shows_the_viewers_clock_on_request(client, conference):
    make_room(conference, name="Hall A")
    make_talk(conference, title="Dawn keynote", day=WINTER_DAY, start="07:30", end="08:15")
    plain = client.get("/c/sz/schedule?view=list&lang=en").text
    assert "07:30–08:15 CST (Asia/Shanghai)" in plain
    assert 'class="viewer-time"' not in plain
    assert "data-local-zone" in plain and "js/localtime.js" in plain
    page = client.get("/c/sz/schedule?view=list&lang=en&tz=Europe/Rome").text
    # 07:30 in Shenzhen is 00:30 the same day in Rome (UTC+8 against UTC+1 in winter)
    assert "07:30–08:15 CST (Asia/Shanghai)</time> — " in page
    assert '<span class="viewer-time">Rome 00:30–01:15</span>' in page


def test_a_session_before_dawn_in_shenzhen_shows_the_previous_evening_in_rome(client, conference):
    make_room(conference, name="Hall A")
    make_talk(conference, title="Early bird", day=WINTER_DAY, start="06:30", end="07:15")
    page = client.get("/c/sz/schedule?view=list&lang=en&tz=Europe/Rome").text
    assert '<span class="viewer-time">Rome Fri, Jan 23 23:30–00:15</span>' in page
    grid = client.get("/c/sz/schedule?lang=en&tz=Europe/Rome").text
    assert '<span class="viewer-time">Rome Fri, Jan 23 23:30</span>' in grid
    talk = make_talk(conference, title="Dawn", day=WINTER_DAY, start="07:30", end="08:15")
    talk_page = client.get(f"/c/sz/sessions/{talk.id}?lang=it&tz=Europe/Rome").text
    assert "sabato 24 gennaio 2037" in talk_page
    assert "00:30–01:15 CET (Europe/Rome)" in talk_page


def test_the_session_page_gives_the_viewers_day_across_midnight(client, conference):
    talk = make_talk(conference, title="Early", day=WINTER_DAY, start="06:30", end="07:15")
    page = client.get(f"/c/sz/sessions/{talk.id}?lang=zh&tz=Europe/Rome").text
    assert "2037年1月24日星期六" in page  # the conference's day
    assert "2037年1月23日星期五" in page  # the evening before, in Rome
    assert "23:30–00:15 CET (Europe/Rome)" in page


def test_summer_time_moves_the_viewers_clock(client, app):
    summer = date(2037, 7, 10)
    summer_conference = make_conference(slug="summer", start_date=summer)
    make_talk(summer_conference, day=summer, start="07:30", end="08:15")
    page = client.get("/c/summer/schedule?view=list&lang=en&tz=Europe/Rome").text
    assert '<span class="viewer-time">Rome 01:30–02:15</span>' in page


def test_an_unknown_zone_is_ignored_with_a_message(client, conference):
    make_talk(conference, day=WINTER_DAY, start="09:30", end="10:15")
    page = client.get("/c/sz/schedule?lang=it&tz=Mars/Olympus")
    assert page.status_code == 200
    assert "«Mars/Olympus» non è un fuso orario" in page.text
    assert 'class="viewer-time"' not in page.text
    assert "09:30–10:15" in page.text


def test_the_viewer_clock_is_named_in_the_page_language(client, conference):
    make_talk(conference, day=WINTER_DAY, start="09:30", end="10:15")
    page = client.get("/c/sz/schedule?view=list&lang=zh&tz=Europe/Rome").text
    assert '<span class="viewer-time">罗马 02:30–03:15</span>' in page


def test_the_local_time_script_is_served_under_the_content_policy(client, conference):
    script = client.get("/static/js/localtime.js")
    assert script.status_code == 200
    assert "resolvedOptions().timeZone" in script.text
    page = client.get("/c/sz/schedule")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.text


class _Count(Form):
    class Meta:
        csrf = False

    seats = IntegerField()  # WTForms' own message for a number that is not one


def test_the_form_library_s_own_messages_follow_the_page_language(app):
    """WTForms' built-in messages come in the reader's language, each language in turn
    (its catalogues are read once per process and language)."""
    expected = {
        "zh": "不是有效的整数",
        "it": "Non è una valore intero valido",
        "en": "Not a valid integer",
    }
    for language in ["zh", "it", "en", "zh"]:
        with app.test_request_context(f"/?lang={language}", method="POST", data={"seats": "x"}):
            refresh()  # the test's one app context would keep the first request's language
            form = _Count()
            assert not form.validate()
            assert expected[language] in form.seats.errors[0], language
