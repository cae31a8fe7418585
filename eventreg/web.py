"""Everything the app serves over HTTP: blueprints, error pages, template helpers, headers."""

from urllib.parse import urlencode

from flask import Flask, abort, current_app, jsonify, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, InternalServerError

from eventreg.api import register_api
from eventreg.core import richtext, timeutil, translations, uploads
from eventreg.core.ids import ID, RowIdConverter
from eventreg.core.text import list_text
from eventreg.mail.views import register_dev_mail_page
from eventreg.organizers.views import bp as organizers_bp
from eventreg.registration import checkin
from eventreg.site import register_site
from eventreg.site.media import bp as media_bp


def register_web(app: Flask) -> None:
    # Before any blueprint is registered: their rules are compiled as they are added.
    app.url_map.converters[ID] = RowIdConverter
    register_site(app)
    app.register_blueprint(media_bp)
    register_dev_mail_page(app)
    app.register_blueprint(organizers_bp)
    register_api(app)

    app.jinja_env.globals.update(
        current_locale=get_locale,
        clock=timeutil.format_clock,
        clock_zone=timeutil.format_clock_with_zone,
        zone_abbr=timeutil.zone_abbreviation,
        format_day=timeutil.format_day,
        clock_range=timeutil.format_clock_range,
        zone_label=timeutil.zone_label,
        format_date_range=timeutil.format_date_range,
        format_day_short=timeutil.format_day_short,
        html_lang=html_lang,
        language_names=LANGUAGE_NAMES,
        lang_tag=lang_tag,
        language_list=language_list,
        this_page_with=this_page_with,
        checkin_qr=checkin.checkin_qr,
    )
    # Descriptions, abstracts and bios are Markdown: |rich for pages, |plain for excerpts.
    app.jinja_env.filters.update(rich=richtext.to_html, plain=richtext.to_plain)
    # Names in a sentence: "A, B, and C", "A、B和C", "A, B e C".
    app.jinja_env.filters["list_text"] = list_text
    # What organizers wrote, in the reader's language: {{ talk|tr("title") }}; with
    # <h1{{ talk|lang_of("title", conference) }}> the element says when the text is in
    # another language than the page (its fallback), {{ track|tr_marked("name",
    # conference) }} wraps it in a <span lang> for inline text.
    app.jinja_env.filters.update(
        tr=translations.text_in, lang_of=lang_of, tr_marked=tr_marked, lang_mark=lang_mark
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.url_value_preprocessor
    def limit_uploads(endpoint, values):
        # Runs before every before_request hook, so before the CSRF check reads the body.
        uploads.set_body_limit(endpoint)

    @app.before_request
    def refuse_what_no_page_takes():
        # Control characters: no address or query has a use for them; PostgreSQL refuses NUL
        # outright and the rest would end up in mail headers and calendar files. Form fields
        # are checked by their forms, which say which field is at fault.
        if _has_control_characters(request.path):
            abort(404)  # no address of the site holds one
        # (The API's query parameters are all typed; its schemas refuse the rest with a 422.)
        if not request.path.startswith("/api/") and any(
            _has_control_characters(name + value) for name, value in request.args.items(multi=True)
        ):
            abort(400)
        # Only the upload routes take files: one sent in place of a text field is refused
        # here rather than handed to a form field that expects a string.
        if not uploads.takes_uploads(app.view_functions.get(request.endpoint)) and request.files:
            abort(415)

    @app.before_request
    def remember_language():
        lang = request.args.get("lang")
        # The API and the frab exports are read by apps, cookie-less: there ``lang`` only
        # chooses the language of one answer.
        machine_read = request.path.startswith("/api/") or request.blueprint == "frab"
        if lang in app.config["LANGUAGES"] and not machine_read:
            session["lang"] = lang

    @app.after_request
    def security_headers(response):
        # The pages load nothing from elsewhere: no inline scripts, no third-party assets.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    for code, (title, message) in ERROR_PAGES.items():
        app.register_error_handler(code, _error_handler(code, title, message))


# Each language named in itself, so that a reader finds theirs whatever the page's language.
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "it": "Italiano"}
# BCP 47 tags for <html lang>: the "zh" catalogue is Simplified Chinese.
HTML_LANG_TAGS = {"zh": "zh-Hans"}


def html_lang() -> str:
    locale = str(get_locale())
    return HTML_LANG_TAGS.get(locale, locale.replace("_", "-"))


def lang_tag(language: str) -> str:
    """A content language code as a BCP 47 tag for ``lang=``."""
    return HTML_LANG_TAGS.get(language, language)


def lang_mark(language: str | None) -> Markup:
    """`` lang="…"`` for an element whose text is in ``language``, when that is not the
    page's language (nothing otherwise, and nothing for an unknown one)."""
    if not language or language == translations.reader_language():
        return Markup("")
    return Markup(' lang="%s"') % lang_tag(language)


def language_list(codes) -> Markup:
    """Languages named each in itself and marked with its ``lang``, joined as the page's
    language joins a list ("English e 中文")."""
    names = [
        Markup('<span lang="%s">%s</span>') % (lang_tag(code), LANGUAGE_NAMES.get(code, code))
        for code in codes
    ]
    # The list patterns are CLDR's words and punctuation, never markup.
    return Markup(list_text(names))  # noqa: S704


def _main_language(conference) -> str | None:
    return conference if isinstance(conference, str | None) else conference.main_language


def lang_of(obj, field: str, conference) -> Markup:
    """The ``lang`` mark of what ``obj|tr(field)`` shows (``conference``: its conference,
    or its main language)."""
    _text, language = translations.text_and_language(obj, field, main=_main_language(conference))
    return lang_mark(language)


def tr_marked(obj, field: str, conference) -> Markup:
    """``obj|tr(field)`` escaped, inside ``<span lang>`` when in another language."""
    text, language = translations.text_and_language(obj, field, main=_main_language(conference))
    mark = lang_mark(language)
    if not mark:
        return escape(text or "")
    return Markup("<span%s>%s</span>") % (mark, text or "")


def this_page_with(**changes) -> str:
    """The current page's address with some query parameters set (``None`` removes one):
    the language switcher and the time-zone links keep whatever else the page was given."""
    args = request.args.to_dict()
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    return request.path + ("?" + urlencode(args) if args else "")


def _has_control_characters(text: str) -> bool:
    return any(ord(char) < 32 or 127 <= ord(char) < 160 for char in text)


def _error_handler(code: int, title, message):
    def handler(error):
        if code == 500:
            # Flask has logged the exception; the answer says nothing of it.
            error = InternalServerError()
        if code == 413 and (page := uploads.too_large_page()) is not None:
            return page  # the upload form again, saying that the file was too large
        if request.path.startswith("/api/"):  # API clients get JSON, never an HTML page
            body = {"status": code, "error": str(title), "message": str(message), "errors": {}}
            response = jsonify(body)
        else:
            response = _error_page(code, title, message)
        # An HTTP error's own headers stay: "Allow" of a 405, "Retry-After" of a 429.
        headers = error.get_headers() if isinstance(error, HTTPException) else []
        extra = [(name, value) for name, value in headers if name.lower() != "content-type"]
        return response, code, extra

    return handler


def _error_page(code: int, title, message) -> str:
    """The site's error page in the reader's language. It reads nothing from the database
    (the error may be the database), and should the page itself fail to render, a bare page
    with the same translated words still answers instead of Werkzeug's English default."""
    try:
        return render_template("error.html", code=code, title=title, message=message)
    except Exception:
        if code != 500:
            raise  # the 500 handler answers it
        current_app.logger.exception("The error page could not be rendered")
        return BARE_ERROR_PAGE.format(
            lang=escape(html_lang()), title=escape(title), message=escape(message)
        )


# No Jinja at all (its context processors may be what failed), no links, no stylesheet.
BARE_ERROR_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1><p>{message}</p></main></body></html>
"""


ERROR_PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("You are not allowed to open this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Request too large"), _l("What was sent is larger than this address accepts.")),
    415: (
        _l("Unsupported content type"),
        _l("This address does not accept what was sent in that format."),
    ),
    429: (
        _l("Too many requests"),
        _l("You have sent too many requests in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("The server could not answer this request. Please try again later."),
    ),
}
