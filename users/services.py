"""Accounts and authentication: registration, admin-created accounts, (de)activation,
login and single-use refresh-token rotation with reuse detection."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import datetime_from_epoch

from clicknback.audit.models import ActorType
from clicknback.audit.services import SYSTEM, Actor, audit_record
from clicknback.lookup import get_object_or_not_found
from users.errors import (
    CannotDeactivateSelf,
    EmailAlreadyRegistered,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidResetToken,
    PasswordNotComplexEnough,
    TokenRevoked,
    UserInactive,
)
from users.models import RefreshTokenRecord, Role, User
from users.tokens import RotatingRefreshToken, access_token_for

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128

# (rule, reason) in the contract's order; the first failure is reported.
_PASSWORD_RULES = (
    (lambda p: len(p) >= PASSWORD_MIN_LENGTH, f"Must be at least {PASSWORD_MIN_LENGTH} characters long."),
    (lambda p: any(c.isupper() for c in p), "Must contain an upper-case letter."),
    (lambda p: any(c.islower() for c in p), "Must contain a lower-case letter."),
    (lambda p: any(c.isdigit() for c in p), "Must contain a digit."),
    (lambda p: any(not c.isalnum() for c in p), "Must contain a character that is not a letter or a digit."),
    (lambda p: len(p) <= PASSWORD_MAX_LENGTH, f"Must be at most {PASSWORD_MAX_LENGTH} characters long."),
)


def password_check_complexity(*, password: str) -> None:
    for rule, reason in _PASSWORD_RULES:
        if not rule(password):
            raise PasswordNotComplexEnough(reason)


def email_normalize(email: str) -> str:
    return email.strip().lower()


def _user_insert(*, email: str, password: str, role: str) -> User:
    """Insert the account in a savepoint; the unique email index decides races."""
    is_admin = role == Role.ADMIN
    user = User(email=email, role=role, is_staff=is_admin, is_superuser=is_admin)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        raise EmailAlreadyRegistered(email) from None
    return user


def user_register(*, email: str, password: str) -> User:
    """Self-registration (role ``user``); the new user is the audit actor."""
    password_check_complexity(password=password)
    email = email_normalize(email)
    with transaction.atomic():
        user = _user_insert(email=email, password=password, role=Role.USER)
        audit_record(
            actor=Actor(ActorType.USER, user.pk),
            action="user.registered",
            resource_type="user",
            resource_id=user.pk,
            details={"email": email, "role": user.role},
        )
    return user


def user_create(*, email: str, password: str, role: str, actor: Actor) -> User:
    """An account created by an admin (back office), possibly another admin."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    password_check_complexity(password=password)
    email = email_normalize(email)
    with transaction.atomic():
        user = _user_insert(email=email, password=password, role=role)
        audit_record(
            actor=actor,
            action="user.created",
            resource_type="user",
            resource_id=user.pk,
            details={"email": email, "role": role},
        )
    return user


def _revoke_open_refresh_tokens(*, user_id: uuid.UUID, now: datetime) -> int:
    return RefreshTokenRecord.objects.filter(user_id=user_id, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )


def user_set_active(*, user_id: uuid.UUID | str, active: bool, actor: Actor) -> User:
    """Activate or deactivate an account; deactivation also revokes its refresh tokens.

    Setting the current state again changes nothing and writes no audit row.
    """
    with transaction.atomic():
        user = get_object_or_not_found(User.objects.select_for_update(), "user", pk=user_id)
        if not active and actor.id is not None and actor.id == user.pk:
            raise CannotDeactivateSelf()
        if user.is_active == active:
            return user
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        revoked = 0 if active else _revoke_open_refresh_tokens(user_id=user.pk, now=timezone.now())
        audit_record(
            actor=actor,
            action="user.activated" if active else "user.deactivated",
            resource_type="user",
            resource_id=user.pk,
            details={"email": user.email, **({} if active else {"refresh_tokens_revoked": revoked})},
        )
    return user


# --- Tokens -----------------------------------------------------------------


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


def _token_pair_issue(*, user: User, parent: RefreshTokenRecord | None = None) -> TokenPair:
    """Sign a new access/refresh pair and record the refresh token (caller's transaction)."""
    refresh = RotatingRefreshToken.for_user(user)
    RefreshTokenRecord.objects.create(
        jti=refresh[api_settings.JTI_CLAIM],
        user=user,
        parent=parent,
        issued_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    access = access_token_for(user)
    return TokenPair(
        access_token=str(access),
        refresh_token=str(refresh),
        expires_in=int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    )


def auth_login(*, email: str, password: str) -> TokenPair:
    """Password login. Unknown email and wrong password are indistinguishable, including
    in time: a password is hashed even when no account matches."""
    user = User.objects.filter(email=email_normalize(email)).first()
    if user is None:
        make_password(password)  # same cost as a real check: no timing oracle
        raise InvalidCredentials()
    if not user.check_password(password):
        raise InvalidCredentials()
    if not user.is_active:
        raise UserInactive(user.pk)
    with transaction.atomic():
        return _token_pair_issue(user=user)


def _revoke_descendants(*, record: RefreshTokenRecord, now: datetime) -> int:
    revoked = 0
    frontier = [record.jti]
    while frontier:
        children = list(RefreshTokenRecord.objects.filter(parent_id__in=frontier).values_list("jti", flat=True))
        if children:
            revoked += RefreshTokenRecord.objects.filter(jti__in=children, revoked_at__isnull=True).update(
                revoked_at=now
            )
        frontier = children
    return revoked


PURGE_BATCH = 1000


def refresh_tokens_purge(*, now: datetime | None = None) -> int:
    """Delete the records of refresh tokens that have expired; returns how many.

    An expired token fails simplejwt's expiry check before its record is read, so the
    record has nothing left to decide. Tokens rotated from it keep working: their
    ``parent`` link is cleared (``SET_NULL``). Deleted in batches, each its own
    transaction, so a large backlog never holds many rows in memory or locks for long.
    """
    leeway = api_settings.LEEWAY
    if not isinstance(leeway, timedelta):
        leeway = timedelta(seconds=leeway)
    cutoff = (now or timezone.now()) - leeway
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                RefreshTokenRecord.objects.filter(expires_at__lt=cutoff).values_list("jti", flat=True)[:PURGE_BATCH]
            )
            if not batch:
                return deleted
            RefreshTokenRecord.objects.filter(jti__in=batch).delete()  # children: parent set to NULL
        deleted += len(batch)


def auth_refresh(*, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair, once.

    The token's row is locked, so two concurrent exchanges of one token serialize: the
    first wins, the second sees it used. Presenting a used token is treated as theft:
    every token issued from it is revoked (committed) and TOKEN_REVOKED is raised.
    """
    try:
        # simplejwt annotates the encoded token as Token; it takes the encoded string.
        token = RotatingRefreshToken(refresh_token)  # type: ignore[arg-type]
    except (TokenError, TypeError, ValueError, UnicodeError):
        raise InvalidRefreshToken() from None
    jti = token.get(api_settings.JTI_CLAIM)
    subject = token.get(api_settings.USER_ID_CLAIM)
    if not isinstance(jti, str) or not jti:
        raise InvalidRefreshToken()

    reuse_detected = False
    with transaction.atomic():
        record = (
            RefreshTokenRecord.objects.select_for_update(of=("self",)).select_related("user").filter(jti=jti).first()
        )
        if record is None or str(record.user_id) != str(subject):
            raise InvalidRefreshToken()
        if not record.user.is_active:
            raise UserInactive(record.user_id)
        now = timezone.now()
        if record.used_at is not None or record.revoked_at is not None:
            reuse_detected = True
            revoked = _revoke_descendants(record=record, now=now)
            if record.used_at is not None:
                audit_record(
                    actor=SYSTEM,
                    action="auth.refresh_token_reused",
                    resource_type="user",
                    resource_id=record.user_id,
                    outcome="refused",
                    details={"jti": record.jti, "descendants_revoked": revoked},
                )
        else:
            record.used_at = now
            record.save(update_fields=["used_at"])
            pair = _token_pair_issue(user=record.user, parent=record)
    if reuse_detected:
        raise TokenRevoked()
    return pair


def user_set_notifications(*, user_id: uuid.UUID, email_enabled: bool) -> User:
    """Turn the user's emails about cashback and payouts on or off (API and wallet page)."""
    with transaction.atomic():
        user = get_object_or_not_found(User.objects.select_for_update(), "user", pk=user_id)
        if user.email_notifications != email_enabled:
            user.email_notifications = email_enabled
            user.save(update_fields=["email_notifications", "updated_at"])
            audit_record(
                actor=Actor.of(user),
                action="user.notifications_changed",
                resource_type="user",
                resource_id=user.pk,
                details={"email_enabled": email_enabled},
            )
    return user


# --- Passwords ----------------------------------------------------------------

_reset_tokens = PasswordResetTokenGenerator()


def _password_set(*, user: User, new_password: str, action: str, actor: Actor) -> User:
    """The new password, every refresh token revoked and older access tokens refused
    (``password_changed_at``), audited; in the caller's transaction."""
    password_check_complexity(password=new_password)
    now = timezone.now()
    user.set_password(new_password)
    user.password_changed_at = now
    user.save(update_fields=["password", "password_changed_at", "updated_at"])
    revoked = _revoke_open_refresh_tokens(user_id=user.pk, now=now)
    audit_record(
        actor=actor,
        action=action,
        resource_type="user",
        resource_id=user.pk,
        details={"refresh_tokens_revoked": revoked},
    )
    return user


def password_change(*, user_id: uuid.UUID, current_password: str, new_password: str) -> User:
    """401 ``INVALID_CREDENTIALS`` for a wrong current password; 400 for a weak new one."""
    with transaction.atomic():
        user = get_object_or_not_found(User.objects.select_for_update(), "user", pk=user_id)
        if not user.check_password(current_password):
            raise InvalidCredentials("The current password is wrong.")
        return _password_set(user=user, new_password=new_password, action="user.password_changed", actor=Actor.of(user))


def password_reset_token(user: User) -> str:
    """``<user id, base64>.<token>``: Django's reset token, tied to the password hash and
    the last login (so it works once) and to ``PASSWORD_RESET_TIMEOUT``."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{_reset_tokens.make_token(user)}"


def password_reset_request(*, email: str, link_for) -> None:
    """Email a single-use reset link to an active account with this address; nothing
    otherwise. The caller answers the same either way. ``link_for(token)`` builds the URL."""
    user = User.objects.filter(email=email_normalize(email), is_active=True).first()
    if user is None:
        return
    token = password_reset_token(user)
    context = {"user": user, "link": link_for(token), "minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    send_mail(
        subject="Reset your ClickNBack password",
        message=render_to_string("emails/password_reset.txt", context),
        html_message=render_to_string("emails/password_reset.html", context),
        from_email=None,
        recipient_list=[user.email],
    )
    audit_record(
        actor=SYSTEM, action="user.password_reset_requested", resource_type="user", resource_id=user.pk, details={}
    )


def password_reset_confirm(*, token: str, new_password: str) -> User:
    """400 ``INVALID_RESET_TOKEN`` for a used, expired or forged token; 400 for a weak password."""
    encoded_id, _, reset_token = token.partition(".")
    try:
        user_id = uuid.UUID(force_str(urlsafe_base64_decode(encoded_id)))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidResetToken() from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or not _reset_tokens.check_token(user, reset_token):
            raise InvalidResetToken()
        return _password_set(user=user, new_password=new_password, action="user.password_reset", actor=Actor.of(user))
