"""Markdown descriptions, abstracts and bios: safe HTML for pages, plain text for the rest."""

from html.parser import HTMLParser

import pytest

from eventreg.core.richtext import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    first_paragraph,
    to_html,
    to_plain,
)


class _Elements(HTMLParser):
    """Every element of an HTML fragment as (tag, attributes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.elements.append(("!--", {}))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_only_allowed_markup(html: str) -> None:
    for tag, attributes in elements(html):
        assert tag in ALLOWED_TAGS, f"<{tag}> in {html!r}"
        for name, value in attributes.items():
            if tag == "a" and name == "rel":
                continue
            assert name in ALLOWED_ATTRIBUTES.get(tag, ()), f"{name}= on <{tag}> in {html!r}"
            if name == "href":
                scheme = (value or "").split(":", 1)[0].lower() if ":" in (value or "") else ""
                assert not scheme or scheme in URL_SCHEMES, f"href={value!r}"


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<svg/onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<!-- <script>alert(1)</script> -->",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&colon;alert(1))",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](data:image/png;base64,iVBORw0KGgo=)",
    '![x" onerror="alert(1)](https://example.org/a.png)',
    '[x](https://example.org "a\\" onmouseover=alert(1)")',
    "[x](https://example.org)<b onmouseover=alert(1)>bold</b>",
    "**<img src=x onerror=alert(1)>**",
    "- <script>alert(1)</script>\n- [x](javascript:alert(1))",
    "> <iframe src=javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "[a](<javascript:alert(1)>)",
    "[ref]\n\n[ref]: javascript:alert(1)",
]


@pytest.mark.parametrize("source", XSS_VECTORS)
def test_no_script_style_image_or_unsafe_link_survives(source):
    html = str(to_html(source))

    assert_only_allowed_markup(html)
    for _, attributes in elements(html):
        href = (attributes.get("href") or "").lower()
        assert not href.startswith(("javascript:", "vbscript:", "data:")), html


def test_raw_html_is_shown_as_text_not_passed_through():
    html = str(to_html('Before <b class="x">bold</b> & <script>alert(1)</script> after'))

    assert html == (
        '<p>Before &lt;b class="x"&gt;bold&lt;/b&gt; &amp; '
        "&lt;script&gt;alert(1)&lt;/script&gt; after</p>"
    )


def test_an_image_becomes_a_link_to_it_and_a_data_image_its_description_only():
    html = str(
        to_html("![A poster](https://example.org/poster.png) ![pixel](data:image/png;base64,AA)")
    )

    assert "<img" not in html
    assert '<a href="https://example.org/poster.png"' in html and ">A poster</a>" in html
    assert "pixel" in html and "data:" not in html


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_paragraphs_and_lists_survive_any_line_ending_style(newline):
    source = newline.join(
        ["First paragraph,", "still the first.", "", "Second paragraph.", "", "- one", "- two"]
    )

    html = str(to_html(source))

    assert html == (
        "<p>First paragraph,<br>\nstill the first.</p>\n<p>Second paragraph.</p>\n"
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    )
    assert (
        to_plain(source)
        == "First paragraph,\nstill the first.\n\nSecond paragraph.\n\n- one\n- two"
    )


def test_emphasis_code_quotes_and_ordered_lists_are_kept():
    html = str(to_html("*it* **bold** `code`\n\n> quoted\n\n3. third\n4. fourth"))

    assert "<em>it</em> <strong>bold</strong> <code>code</code>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>' in html


def test_headings_sit_below_the_page_headings():
    html = str(to_html("# One\n\n## Two\n\n### Three\n\n###### Six"))

    assert html == "<h3>One</h3>\n<h4>Two</h4>\n<h5>Three</h5>\n<h5>Six</h5>"


def test_links_keep_their_address_and_open_safely_in_the_same_window():
    html = str(to_html("[Programme](https://example.org/programme) or <mailto:desk@example.org>"))

    programme, mail = (attributes for tag, attributes in elements(html) if tag == "a")
    assert programme == {
        "href": "https://example.org/programme",
        "rel": "noopener noreferrer nofollow",
    }
    assert mail["href"] == "mailto:desk@example.org"
    assert "target" not in programme


@pytest.mark.parametrize("empty", [None, "", "  \r\n\r\n  "])
def test_no_text_renders_as_nothing(empty):
    assert to_html(empty) == "" and to_plain(empty) == ""


def test_plain_text_has_no_markdown_syntax_left():
    source = (
        "# Welcome\r\n\r\nA **bold** and *quiet* start with `code`, \\*stars\\* and &amp;.\r\n\r\n"
        "See [the programme](https://example.org/p), <https://example.org/raw>, "
        "[the desk](mailto:desk@example.org) and [a page here](/c/demo).\r\n\r\n"
        "- first\r\n- second\r\n  - nested\r\n\r\n1. one\r\n2. two\r\n\r\n> Quoted words."
    )

    assert to_plain(source) == (
        "Welcome\n\n"
        "A bold and quiet start with code, *stars* and &.\n\n"
        "See the programme (https://example.org/p), https://example.org/raw, "
        "the desk (desk@example.org) and a page here.\n\n"
        "- first\n- second\n  - nested\n\n"
        "1. one\n2. two\n\n"
        "Quoted words."
    )


def test_plain_text_keeps_a_refused_link_as_harmless_text():
    assert to_plain("[click](javascript:alert(1))") == "[click](javascript:alert(1))"
    assert to_plain("![pixel](data:image/png;base64,AA)") == "pixel"


def test_the_first_paragraph_is_plain_text():
    assert first_paragraph("**Two days** in [Shenzhen](https://example.org).\r\n\r\nMore.") == (
        "Two days in Shenzhen (https://example.org)."
    )
