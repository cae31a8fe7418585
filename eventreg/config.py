"""Configuration layering: defaults, then ``instance/config.py``, then ``EVENTREG_*`` variables."""

import secrets
from collections.abc import Mapping
from pathlib import Path


class Defaults:
    """Settings used when nothing else is configured. Every name here is in the README table."""

    SQLALCHEMY_DATABASE_URI = None  # filled in with the SQLite file in instance/
    SECRET_KEY = None  # generated into instance/secret_key on first run
    SERVER_NAME = None
    PREFERRED_URL_SCHEME = "http"
    # The public address every absolute link (mail, invites, feeds, pages) is built from.
    # None: http://127.0.0.1:<port served>, the port of `flask run` (FLASK_RUN_PORT) or PORT.
    BASE_URL = None
    # Host names requests may use; None: BASE_URL's host (plus SERVER_NAME's, and localhost
    # and 127.0.0.1 when BASE_URL is a loopback address). Any other Host header is a 400.
    TRUSTED_HOSTS = None
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed.
    TRUSTED_PROXIES = 0
    # Largest request body accepted (a 413 page beyond): no form or API call needs more.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Uploaded logos, banners and speaker photos: the largest file taken (its upload routes
    # alone accept bodies that large), and where the files are kept (None: instance/uploads).
    # UPLOAD_STORAGE names another store instead, "package.module:factory" (see core/storage).
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    UPLOAD_FOLDER = None
    UPLOAD_STORAGE = None
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ["en", "zh", "it"]
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure cookies exactly when PREFERRED_URL_SCHEME is "https"; True/False forces it.
    SESSION_COOKIE_SECURE = None
    # Organizer accounts (eventreg.organizers).
    LOGIN_RATE_LIMIT = "10 per minute; 100 per hour"
    RESET_LINK_RATE_LIMIT = "5 per minute; 20 per hour"
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a password-reset link stays valid
    PASSWORD_MIN_LENGTH = 10
    STAFF_SESSION_MAX_AGE = 7 * 24 * 3600  # seconds a staff login lasts before a new login
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session cookie
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    REGISTRATION_RATE_LIMIT = "20 per minute; 200 per hour"
    # How many colleagues one person may register along with themselves, in one form.
    MAX_COLLEAGUES = 10
    # Mail: with no MAIL_SERVER, messages are written as .eml files under instance/outbox.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # implicit TLS (SMTPS, usually port 465)
    MAIL_USE_STARTTLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "eventreg <noreply@eventreg.invalid>"
    MAIL_TIMEOUT = 10
    MAIL_MAX_ATTEMPTS = 8
    # Where .eml files go when MAIL_SERVER is unset; None means instance/outbox.
    MAIL_FILE_DIR = None
    # Days a delivered message keeps its address, subject, content and .eml copy; None: always.
    MAIL_RETENTION_DAYS = 30
    MAIL_BATCH_SIZE = 20  # messages a worker claims at once
    MAIL_LEASE_SECONDS = 300  # a claim expires after this; a crashed worker's rows are retaken
    MAIL_RETRY_BASE_SECONDS = 30  # first retry delay, doubled per attempt
    MAIL_RETRY_MAX_SECONDS = 3600  # longest delay between two attempts
    MAIL_POLL_SECONDS = 30  # how often the sender thread and looping workers look for due mail
    # Development page listing delivered .eml files at /_dev/mail (never in production).
    DEV_MAIL_PAGE = False
    # Celery broker; with none, `flask deliver-mail` and an in-process thread deliver mail.
    CELERY_BROKER_URL = None
    # The in-process sender: started by the serving process (wsgi.py), it sends what is due
    # at start, after each commit that records mail, and every MAIL_POLL_SECONDS.
    MAIL_DELIVER_IN_BACKGROUND = True
    CELERY_QUEUE = "eventreg-mail"
    CELERY_SWEEP_SECONDS = 60  # the beat schedule's outbox sweep (retries, missed triggers)
    ICAL_REFRESH_MINUTES = 60
    # Cache of serialized feeds and exports (Flask-Caching). With CACHE_REDIS_URL (e.g.
    # redis://127.0.0.1:6379/2) every process shares it; without, each keeps its own.
    # Entries are keyed by content or revision, so they never go stale, only old.
    CACHE_TYPE = None  # None: "RedisCache" with CACHE_REDIS_URL, else "SimpleCache"
    CACHE_REDIS_URL = None
    CACHE_KEY_PREFIX = "eventreg:"
    CACHE_DEFAULT_TIMEOUT = 24 * 3600  # seconds an entry is kept
    CACHE_THRESHOLD = 20000  # entries a per-process SimpleCache keeps at most
    # The domain part of every iCalendar UID; never change it once invites have gone out.
    ICAL_UID_DOMAIN = "eventreg"
    # Replies from calendars (Accept / Tentative / Decline): each attendee's invites name
    # rsvp+<token>@<domain> of this address as ORGANIZER. None: "rsvp@" + the domain of
    # MAIL_DEFAULT_SENDER; "" turns replies off (no RSVP asked, From the organizer).
    REPLY_ADDRESS = None
    # `flask receive-mail`: the SMTP receiver the reply address's mail is routed to.
    INBOUND_SMTP_HOST = "127.0.0.1"
    INBOUND_SMTP_PORT = 2525
    INBOUND_MAX_BYTES = 10 * 1024 * 1024  # larger messages are refused (552)
    # `flask receive-mail --imap`: the mailbox the reply address delivers to instead.
    INBOUND_IMAP_HOST = None
    INBOUND_IMAP_PORT = 993
    INBOUND_IMAP_USER = None
    INBOUND_IMAP_PASSWORD = None
    INBOUND_IMAP_MAILBOX = "INBOX"
    INBOUND_IMAP_SSL = True
    INBOUND_IMAP_POLL_SECONDS = 60
    INBOUND_IMAP_DELETE = False  # delete handled messages (else they are only marked \Seen)
    # Name badges (/manage/c/<slug>/badges) are drawn with these fonts: a regular and a bold
    # face covering Chinese and Latin with accents. Debian's fonts-noto-cjk installs these;
    # of a collection (.ttc) the Simplified Chinese face is used.
    BADGE_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    BADGE_BOLD_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` spelling of hosting providers and pick psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


DEFAULT_PORT = 5000


def served_base_url(environ: Mapping[str, str]) -> str:
    """The base URL when none is configured: this machine, on the port being served.

    ``make run`` and ``flask run --port`` pass it as FLASK_RUN_PORT; gunicorn and hosting
    platforms as PORT.
    """
    for name in ("FLASK_RUN_PORT", "PORT"):
        port = environ.get(name, "").strip()
        if port.isdigit() and 0 < int(port) < 65536:
            return f"http://127.0.0.1:{int(port)}"
    return f"http://127.0.0.1:{DEFAULT_PORT}"


def load_or_create_secret_key(instance_path: str) -> str:
    """Keep a generated key in instance/ so sessions survive restarts without configuration."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(key)
    return key
