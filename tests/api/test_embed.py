"""The embeddable schedule page: the programme without the site around it."""

from tests.factories import make_conference, make_room, make_talk


def _conference():
    conference = make_conference(slug="expo", title="Expo 2026")
    room = make_room(conference, name="Main Hall")
    make_talk(conference, title="Opening", room=room)
    return conference


def test_the_embedded_schedule_has_the_programme_but_no_site_chrome(client):
    _conference()
    html = client.get("/c/expo/schedule?embed=1").get_data(as_text=True)
    assert "Opening" in html
    assert "Main Hall" in html
    assert "site-header" not in html
    assert "site-footer" not in html
    assert "skip-link" not in html


def test_links_in_the_embedded_schedule_leave_the_frame_but_view_switches_stay(client):
    _conference()
    html = client.get("/c/expo/schedule?embed=1").get_data(as_text=True)
    assert '<base target="_blank">' in html
    assert 'href="/c/expo/schedule?view=list&amp;embed=1" target="_self"' in html


def test_other_sites_may_frame_only_the_embedded_schedule(client):
    _conference()
    embedded = client.get("/c/expo/schedule?embed=1")
    assert "frame-ancestors *" in embedded.headers["Content-Security-Policy"]
    for path in ("/c/expo/schedule", "/c/expo", "/c/expo/sessions/1"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in policy, path


def test_the_normal_schedule_page_keeps_its_chrome(client):
    _conference()
    html = client.get("/c/expo/schedule").get_data(as_text=True)
    assert "site-header" in html
    assert "<base" not in html


def test_drafts_cannot_be_embedded(client):
    make_conference(slug="secret", published=False)
    assert client.get("/c/secret/schedule?embed=1").status_code == 404


def test_the_view_switch_keeps_the_schedule_embedded(client):
    _conference()
    html = client.get("/c/expo/schedule?view=list&embed=1").get_data(as_text=True)
    assert "site-header" not in html
    assert 'href="/c/expo/schedule?embed=1" target="_self"' in html
