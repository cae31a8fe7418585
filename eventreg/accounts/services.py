"""Staff accounts: creating them, logging in, passwords.

Every function that changes something is one ``write_transaction()``: the change, its
audit entry and any e-mail it records commit together, so a change is never half-written.
Password hashing (deliberately slow) happens before the transaction, never while it holds
the database's write lock.
"""

import logging
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventreg.accounts import sessions
from eventreg.accounts.models import PasswordResetRequest, User
from eventreg.accounts.passwords import (
    WELCOME_MAX_AGE,
    check_password,
    hash_password,
    make_password_token,
    password_fingerprint,
    read_password_token,
    spend_check_time,
)
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.emails import normalise_email
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.links import public_url
from eventreg.core.text import has_forbidden_characters
from eventreg.mail import builder
from eventreg.mail.compose import Recipient
from eventreg.mail.hooks import mail_requested

log = logging.getLogger(__name__)

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is abuse
USER_FIELDS = ("email", "name", "is_admin", "may_create_conferences", "active")
MAX_NAME_LENGTH = 200


def account_email(raw: str) -> str:
    """An account's address, lower-cased: whatever case people type, one address is one
    account, and the unique constraint on the column sees it that way too."""
    if has_forbidden_characters(raw, multiline=False):
        raise Invalid({"email": _("Please use a single line without control characters.")})
    return normalise_email(raw).lower()


def account_name(raw: str | None) -> str:
    """A staff name as it is stored: one line, no control characters (names go into mail
    headers), whether it comes from a form, the command line or a script."""
    name = (raw or "").strip()
    if has_forbidden_characters(name, multiline=False):
        raise Invalid({"name": _("Please use a single line without control characters.")})
    if len(name) > MAX_NAME_LENGTH:
        raise Invalid({"name": _("Use at most %(n)d characters.", n=MAX_NAME_LENGTH)})
    return name


def check_new_password(password: str, field: str = "new_password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise Invalid({field: _("Use at least %(n)d characters.", n=minimum)})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid({field: _("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)})


def find_user(email: str) -> User | None:
    try:
        normalised = account_email(email)
    except Invalid:
        return None
    return db.session.scalar(sa.select(User).filter_by(email=normalised))


def create_user(
    actor: audit.Actor,
    email: str,
    *,
    password: str | None = None,
    name: str = "",
    is_admin: bool = False,
    may_create_conferences: bool = False,
) -> User:
    """A new account. Without a password, the person is e-mailed a link to choose one."""
    email = account_email(email)
    name = account_name(name)
    if password is not None:
        check_new_password(password, field="password")
    # Without a password the hash is of a random secret nobody knows: no login until the
    # person follows the welcome link.
    password_hash = hash_password(password if password is not None else _random_secret())
    with write_transaction():
        if db.session.scalar(sa.select(User.id).filter_by(email=email)) is not None:
            raise _account_exists()
        user = User(
            email=email,
            name=name,
            password_hash=password_hash,
            is_admin=is_admin,
            may_create_conferences=may_create_conferences,
            active=True,
        )
        try:
            with db.session.begin_nested():
                db.session.add(user)
                db.session.flush()
        except IntegrityError:
            raise _account_exists() from None
        audit.log(
            actor,
            "user.created",
            user,
            conference_id=None,
            summary=email,
            after=audit.snapshot(user, USER_FIELDS),
        )
        if password is None:
            _send_welcome(user)
        return user


def _account_exists() -> Conflict:
    return Conflict({"email": _("An account with this e-mail address already exists.")})


def create_or_promote_admin(email: str, password: str) -> tuple[User, bool]:
    """For the command line: a new administrator, or an existing account made an active
    administrator with this password (the way back in when every admin password is lost).
    Returns the account and whether it was created."""
    email = account_email(email)
    check_new_password(password, field="password")
    password_hash = hash_password(password)
    with write_transaction():
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        if user is None:
            return create_user(audit.SYSTEM, email, password=password, is_admin=True), True
        before = audit.snapshot(user, USER_FIELDS)
        user.password_hash = password_hash
        user.is_admin = True
        user.active = True
        sessions.end_others(user)  # a new password: whoever was logged in is not any more
        old, new = audit.changed(before, audit.snapshot(user, USER_FIELDS))
        audit.log(
            audit.SYSTEM,
            "user.made_admin",
            user,
            conference_id=None,
            summary=email,
            before=old,
            after=new,
        )
        return user, False


def update_user(
    actor: User,
    user: User,
    *,
    name: str,
    is_admin: bool,
    may_create_conferences: bool,
    active: bool,
) -> User:
    """Change an account's name and rights. Nobody can lock every administrator out."""
    if user.id == actor.id and (not is_admin or not active):
        raise Invalid({"": _("You cannot take away your own administrator rights or account.")})
    name = account_name(name)
    with write_transaction():
        before = audit.snapshot(user, USER_FIELDS)
        user.name = name
        user.is_admin = is_admin
        user.may_create_conferences = may_create_conferences
        user.active = active
        if not active:
            sessions.end_others(user)  # a deactivated account is logged out everywhere
        old, new = audit.changed(before, audit.snapshot(user, USER_FIELDS))
        if new:
            audit.log(
                actor,
                "user.updated",
                user,
                conference_id=None,
                summary=user.email,
                before=old,
                after=new,
            )
        return user


def authenticate(email: str, password: str) -> User | None:
    """The active account with this address and password, or None (for any reason).
    The login opens a server-side session (its secret: ``sessions.secret_of(user)``), in
    one transaction with ``last_login_at``, a stronger hash when the old one is outdated,
    and the audit entry."""
    user = find_user(email)
    if user is None or not user.active:
        spend_check_time(password)
        return None
    stored_hash = user.password_hash
    matches, new_hash = check_password(stored_hash, password)
    if not matches:
        return None
    with write_transaction():
        db.session.refresh(user)
        if not user.active or user.password_hash != stored_hash:
            return None  # deactivated, or the password changed, while it was checked
        if new_hash:
            user.password_hash = new_hash
        user.last_login_at = utcnow()
        sessions.start(user)
        return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """A new password for one's own account: this session stays open (``user`` is the
    logged-in account), every other session of the account ends."""
    matches, _rehash = check_password(user.password_hash, current_password)
    if not matches:
        raise Invalid({"current_password": _("This is not your current password.")})
    check_new_password(new_password)
    new_hash = hash_password(new_password)
    with write_transaction():
        user.password_hash = new_hash
        sessions.end_others(user, keep=sessions.secret_of(user))
        audit.log(user, "user.password_changed", user, conference_id=None, summary=user.email)


def request_password_reset(email: str) -> None:
    """Record a "forgot password" request; the mail sender turns it into a reset link when
    an active account has the address (:func:`send_requested_resets`).

    The request does the same work whether or not the address has an account — one insert,
    one commit, no lookup — so neither its answer nor its timing tells strangers which
    addresses have accounts.
    """
    with write_transaction():
        db.session.add(PasswordResetRequest(email=email[:254], locale=str(get_locale())))
        mail_requested()


def send_requested_resets() -> int:
    """Mail a reset link for each waiting request whose address is an active account's,
    and forget every request. Run by the mail sender before each delivery pass; returns
    how many links were mailed. Each request is one transaction: a request that cannot be
    turned into mail is logged and dropped, and never holds up the others."""
    waiting = db.session.scalars(
        sa.select(PasswordResetRequest.id).order_by(PasswordResetRequest.id)
    ).all()
    sent = 0
    for request_id in waiting:
        try:
            sent += _answer_reset_request(request_id)
        except Exception:
            log.exception("password-reset request %s could not be answered", request_id)
            with write_transaction():
                db.session.execute(
                    sa.delete(PasswordResetRequest).where(PasswordResetRequest.id == request_id)
                )
    return sent


def _answer_reset_request(request_id: int) -> int:
    with write_transaction():
        reset_request = db.session.scalar(
            sa.select(PasswordResetRequest)
            .filter_by(id=request_id)
            .with_for_update(skip_locked=True)  # another sender has it
        )
        if reset_request is None:
            return 0
        db.session.delete(reset_request)
        user = find_user(reset_request.email)
        if user is None or not user.active:
            return 0
        languages = current_app.config["LANGUAGES"]
        locale = reset_request.locale if reset_request.locale in languages else languages[0]
        with force_locale(locale):
            _send_reset(user)
        return 1


def _send_reset(user: User) -> None:
    token = make_password_token("reset", user.id, user.password_hash)
    builder.send(
        Recipient(user.name, user.email),
        kind="password_reset",
        template="email/password_reset",
        subject=_("Reset your eventreg password"),
        context={
            "user": user,
            "link": public_url("organizers.reset_password", token=token),
            "minutes": current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
        },
    )


def user_for_reset_token(token: str, *, welcome: bool = False) -> User | None:
    """The account a genuine, unexpired, unused link belongs to, else None."""
    data = read_password_token("welcome" if welcome else "reset", token)
    if data is None:
        return None
    user_id, fingerprint = data
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    # Setting a password changes the hash, and with it the fingerprint: each link works once.
    if fingerprint != password_fingerprint(user.password_hash):
        return None
    return user


def set_password_from_link(user: User, new_password: str) -> None:
    """Set the password chosen through a reset or welcome link (which it spends)."""
    check_new_password(new_password)
    new_hash = hash_password(new_password)
    with write_transaction():
        user.password_hash = new_hash
        sessions.end_others(user)  # whoever knew the old password is logged out
        audit.log(user, "user.password_reset", user, conference_id=None, summary=user.email)


def _send_welcome(user: User) -> None:
    token = make_password_token("welcome", user.id, user.password_hash)
    builder.send(
        Recipient(user.name, user.email),
        kind="account_welcome",
        template="email/account_welcome",
        subject=_("Your eventreg account"),
        context={
            "user": user,
            "link": public_url("organizers.welcome", token=token),
            "days": WELCOME_MAX_AGE // (24 * 3600),
        },
    )


def _random_secret() -> str:
    return secrets.token_urlsafe(32)
