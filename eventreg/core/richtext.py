"""What organizers write about a conference, a track, a session or a speaker: Markdown.

One source text, two renderings:

- :func:`to_html` for pages: CommonMark (markdown-it-py), then sanitised by nh3 to the small
  allow-list below. Raw HTML is never passed through: the parser escapes it as text, and the
  sanitiser is a second, independent wall should the parser ever let something slip.
- :func:`to_plain` for calendars, feeds, exports and e-mail text parts: the same text with no
  Markdown syntax left — links as "text (url)", list items as "- ", paragraphs separated by
  a blank line.

Text typed in a browser arrives with CRLF line ends, older Mac exports with CR: both are
read as LF first, so that paragraphs survive whatever the line-ending style.
"""

import re
from collections.abc import Sequence
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

# The allow-list. Headings are h3-h5: the text always sits under the page's own h1 and a
# section's h2, so a writer's "# Heading" becomes an h3 (see _shift_headings).
ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "ul", "ol", "li", "a", "code", "pre", "blockquote"}
    | {"h3", "h4", "h5"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Links lead to pages nobody on the site vouches for: no Referer or window.opener for them,
# and no search-engine credit for whoever manages to get a link into a description.
# No target="_blank": a reader decides where a link opens (a new tab is one middle-click
# away), the Back button keeps working, and screen readers aren't moved to a new window
# without warning.
LINK_REL = "noopener noreferrer nofollow"

FIRST_HEADING_LEVEL = 3
LAST_HEADING_LEVEL = 5

_LINE_END = re.compile(r"\r\n?")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)


def normalize_line_ends(text: str) -> str:
    """CRLF (browsers) and lone CR (old exports) as LF."""
    return _LINE_END.sub("\n", text)


def to_html(text: str | None) -> Markup:
    """The text as safe HTML for a page; empty for no text."""
    if not text or not text.strip():
        return Markup("")
    # Safe by construction: escaped by the parser, then cleaned by nh3 to the allow-list.
    return Markup(_cached_html(normalize_line_ends(text)))  # noqa: S704


def to_plain(text: str | None) -> str:
    """The text as plain text with no Markdown syntax left; empty for no text."""
    if not text or not text.strip():
        return ""
    return _cached_plain(normalize_line_ends(text))


def first_paragraph(text: str | None) -> str:
    """The plain text's first paragraph: an introduction for excerpts and calendar events."""
    return to_plain(text).split("\n\n", 1)[0]


# A feed or an export renders the same few hundred texts again and again.
@lru_cache(maxsize=1024)
def _cached_html(text: str) -> str:
    rendered = _PARSER.render(text)
    return nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


@lru_cache(maxsize=1024)
def _cached_plain(text: str) -> str:
    tree = SyntaxTreeNode(_PARSER.parse(text))
    return _plain_blocks(tree.children).strip()


# --- the parser, configured once per process -------------------------------------------------


def _shift_headings(state: StateCore) -> None:
    """``#`` is an h3, ``##`` an h4, anything deeper an h5."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1]) + FIRST_HEADING_LEVEL - 1
            token.tag = f"h{min(level, LAST_HEADING_LEVEL)}"


def _image_as_link(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    """An image is shown as a link to it, named by its description: pages load nothing
    from elsewhere, and an image in an abstract would be a tracking pixel in waiting."""
    token = tokens[index]
    alt = escape(renderer.renderInlineAsText(token.children or [], options, env))
    src = str(token.attrGet("src") or "")
    if not _may_link_to(src, relative=True):  # a data: picture, say: its description only
        return str(alt)
    return f'<a href="{escape(src)}">{alt or escape(src)}</a>'


def _make_parser() -> MarkdownIt:
    # "html": False escapes raw HTML as text; "breaks": a line break typed in the form is
    # one on the page, as the writer saw it in the text box.
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True})
    parser.core.ruler.push("shift_headings", _shift_headings)
    parser.add_render_rule("image", _image_as_link)
    return parser


_PARSER = _make_parser()


# --- plain text ------------------------------------------------------------------------------


def _plain_blocks(nodes: Sequence[SyntaxTreeNode], separator: str = "\n\n") -> str:
    texts = (_plain_block(node) for node in nodes)
    return separator.join(text for text in texts if text)


def _plain_block(node: SyntaxTreeNode) -> str:
    if node.type in ("paragraph", "heading"):
        return _plain_inline(node.children[0])
    if node.type in ("bullet_list", "ordered_list"):
        return _plain_list(node)
    if node.type == "blockquote":
        return _plain_blocks(node.children)
    if node.type in ("code_block", "fence"):
        return node.content.rstrip("\n")
    return ""  # a thematic break: the blank line around it says enough


def _plain_list(node: SyntaxTreeNode) -> str:
    start = int(node.attrs.get("start", 1))
    lines = []
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}. " if node.type == "ordered_list" else "- "
        body = _plain_blocks(item.children, separator="\n")
        # Continuation lines (a second paragraph, a nested list) line up under the text.
        lines.append(marker + body.replace("\n", "\n" + " " * len(marker)))
    return "\n".join(lines)


def _plain_inline(node: SyntaxTreeNode) -> str:
    parts = []
    for child in node.children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link":
            parts.append(_plain_link(_plain_inline(child), str(child.attrs.get("href", ""))))
        elif child.type == "image":
            label = _plain_inline(child)
            parts.append(_plain_link(label, str(child.attrs.get("src", ""))))
        else:  # em, strong: their words
            parts.append(_plain_inline(child))
    return "".join(parts)


def _plain_link(label: str, url: str) -> str:
    """``label (url)``; the label alone where the address could not be followed from a
    calendar or an e-mail (a relative or a refused address), the address alone where the
    label is the address."""
    if not _may_link_to(url, relative=False):
        return label
    shown = url.removeprefix("mailto:")
    if not label or label in (url, shown):
        return shown
    return f"{label} ({shown})"


def _may_link_to(url: str, *, relative: bool) -> bool:
    """Whether ``url`` has an allowed scheme (or none, when ``relative`` addresses do)."""
    scheme = _SCHEME.match(url)
    if scheme is None:
        return relative
    return scheme.group(1).lower() in URL_SCHEMES
