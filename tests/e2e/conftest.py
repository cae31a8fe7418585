"""Browser tests: the app on a live port, driven by Playwright in Debian's Chromium.

Fixtures for any test marked ``@pytest.mark.browser``:

- ``live_server``: base URL (``http://127.0.0.1:PORT``) of the app served from a thread, on
  the same test database as ``app`` (so data made in the test is there, and is emptied after).
- ``browser``: one Chromium for the whole run. Missing Chromium skips these tests on a
  developer's machine, and fails them under CI (``CI``) or with ``EVENTREG_REQUIRE_BROWSER``.
- ``desktop_page`` (1280x800), ``phone_page`` (390x844, mobile, touch), and ``page``, which
  runs a test once with each. Every page fails its test on a JavaScript error, a console
  error (a Content-Security-Policy violation, say) or a stylesheet, script or image that
  does not load.
- ``assert_accessible(page)``: runs axe-core and fails on any serious or critical violation.

axe-core is served to the page from the live server's own origin: the site's
``script-src 'self'`` policy (rightly) refuses the inline script that Playwright's
``add_script_tag(path=...)`` would insert, and switching the policy off with ``bypass_csp``
would also hide real policy violations from these tests.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.middleware.shared_data import SharedDataMiddleware

from eventreg.core.extensions import db
from tests.conftest import ROOT, make_test_app, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_FOLDER = ROOT / "node_modules" / "axe-core"
AXE_URL = "/__e2e__/axe-core/axe.min.js"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("EVENTREG_REQUIRE_BROWSER"))


@pytest.fixture
def live_server(app, database_url, instance_path, app_config) -> Iterator[str]:
    """Serve a twin of the ``app`` fixture's app (same settings, same database) on a free
    port; depending on ``app`` keeps its emptying of the tables after each test."""
    # No SERVER_NAME: links and redirects must point at this server's own address.
    served = make_test_app(database_url, instance_path, **{**app_config, "SERVER_NAME": None})
    wsgi = SharedDataMiddleware(served.wsgi_app, {"/__e2e__/axe-core": str(AXE_FOLDER)})
    with serving(served, wsgi) as base_url:
        yield base_url
    with served.app_context():
        db.engine.dispose()  # no pooled connection may hold up emptying the tables


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if browser_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    if not (AXE_FOLDER / "axe.min.js").exists():
        pytest.fail("node_modules/axe-core is missing: run `npm ci`", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open_page(browser: Browser, live_server: str, viewport: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, **VIEWPORTS[viewport])
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message):
        # Failed loads are reported by on_response with their address; a page that is
        # meant to be a 404 is checked by its own test.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error: {message.text}")

    def on_response(response):
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"{response.status} for {response.url}")

    def on_request_failed(request):
        # Leaving a page cancels what it was still loading: that is not a fault.
        if "ERR_ABORTED" not in (request.failure or ""):
            problems.append(f"could not load {request.url}: {request.failure}")

    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    try:
        yield page
    finally:
        context.close()
    assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def desktop_page(browser, live_server) -> Iterator[Page]:
    yield from _open_page(browser, live_server, "desktop")


@pytest.fixture
def phone_page(browser, live_server) -> Iterator[Page]:
    yield from _open_page(browser, live_server, "phone")


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser, live_server) -> Iterator[Page]:
    """A page on a desktop, then on a phone: a test using it runs once with each."""
    yield from _open_page(browser, live_server, request.param)


SERIOUS = ("serious", "critical")


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now; fail on serious or critical violations."""
    # Right after a click on a link the next document may be committed but not yet
    # parsed (no <head> to add axe to): let it finish loading first.
    page.wait_for_load_state("load")
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(url=AXE_URL)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [v for v in results["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"axe-core found problems on {page.url}:\n" + describe(serious)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"  at {' '.join(node['target'])}")
            lines.append(f"     {node['html'][:160]}")
            for summary in (node.get("failureSummary") or "").splitlines():
                lines.append(f"     {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"  … and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)
