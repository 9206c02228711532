"""Every write of the accounts app: sign-up, sessions, the profile, the garage and closing an account."""

from __future__ import annotations

import enum
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermission
from rest_framework.request import Request
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from accounts import recovery
from accounts.language import language_of
from accounts.models import AccountStatus, RevokedAccessToken, Role, User, UserProfile, Vehicle
from accounts.throttles import lockout_clear, lockout_record_failure, lockout_remaining
from accounts.vin import vin_errors
from cardoc import rls
from cardoc.exceptions import AuthenticationError, StorageQuotaExceededError, TooManyAttemptsError
from cardoc.hooks import mechanic_role_revokers, storage_usage, user_erasers
from cardoc.models import AuditAction, AuditEvent, AuditStatus
from cardoc.services import audit_record, rows_delete_in_batches

logger = logging.getLogger(__name__)

AnyRequest = HttpRequest | Request


class _Unset(enum.Enum):
    UNSET = enum.auto()


# PATCH semantics: a keyword left at UNSET keeps the stored value, unlike None or "" which overwrite it.
UNSET = _Unset.UNSET
Unset = Literal[_Unset.UNSET]

DUPLICATE_EMAIL = _("An account with this email address already exists.")
DUPLICATE_VIN = _("You already have a car with this VIN.")
BAD_CREDENTIALS = _("No active account matches this email and password.")
WRONG_PASSWORD = _("The current password is not correct.")
LOCKED_OUT = _("Too many failed sign-ins for this address. Try again later.")


@dataclass(frozen=True)
class TokenPair:
    """A fresh refresh token and the access token minted from it, both encoded."""

    refresh: str
    access: str

    @classmethod
    def issue(cls, user: User, *, family: str | None = None) -> TokenPair:
        """A new pair; ``family`` ties a rotated token to its sign-in, so a replay can end the whole chain."""
        refresh = RefreshToken.for_user(user)  # also records it as outstanding, so it can be revoked
        refresh[FAMILY_CLAIM] = family or uuid.uuid4().hex
        # for_user stored the token before the family claim existed; store what the client will present.
        OutstandingToken.objects.filter(jti=refresh[jwt_settings.JTI_CLAIM]).update(token=str(refresh))
        return cls(refresh=str(refresh), access=str(refresh.access_token))


# The refresh-token family: every token rotated from one sign-in shares it (OAuth 2.0 Security BCP, 4.14).
FAMILY_CLAIM = "fam"


# --- Sign-up and sessions ---------------------------------------------------------------------------


@transaction.atomic
def user_register(
    *, email: str, password: str, full_name: str = "", phone: str = "", request: AnyRequest | None = None
) -> User:
    """Create a driver account and its profile; the email is stored lower-case and unique in any case."""
    email = User.objects.normalize_email(email)
    if User.objects.by_email(email).exists():
        raise ValidationError({"email": DUPLICATE_EMAIL})
    try:
        validate_password(password, user=User(email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    profile = UserProfile(full_name=full_name, phone=phone)
    profile.full_clean(exclude=["user"])

    try:
        # A savepoint: a simultaneous sign-up with the same address loses the race here, cleanly.
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, role=Role.CAR_USER)
    except IntegrityError as exc:
        raise ValidationError({"email": DUPLICATE_EMAIL}) from exc
    # The caller is this new account from now on: row-level security lets it write its own profile.
    rls.set_request_user(user)
    profile.user = user
    profile.save()
    audit_record(action=AuditAction.REGISTER, user=user, request=request)
    transaction.on_commit(lambda: _send_verification(user))
    return user


class LoginChannel(enum.StrEnum):
    """Which door a sign-in came through; each is throttled, locked out and audited the same way."""

    API = "api"
    WEB = "web"
    ADMIN = "admin"


def credentials_authenticate(*, email: str, password: str, request: AnyRequest | None, channel: LoginChannel) -> User:
    """Check an email and password, honouring the lockout, and audit a failure with IP and user agent.

    Every sign-in path goes through here (the API, the mechanics' web page, the admin). A failure is one
    generic error whether the address is unknown, the password wrong or the account suspended, so the
    answer reveals nothing; the lockout is keyed by the address tried, whether or not it has an account.
    Not atomic on purpose: the failure's audit row must survive the error that follows it.
    """
    email = User.objects.normalize_email(email)
    # The account under attack, when there is one, so staff see the attempts on it.
    target = User.objects.by_email(email).first() or AnonymousUser()
    remaining = lockout_remaining(email)
    if remaining is not None:
        audit_record(
            action=AuditAction.LOGIN,
            user=target,
            request=request,
            status=AuditStatus.FAILURE,
            details={"email": email, "channel": channel, "reason": "locked_out"},
        )
        raise TooManyAttemptsError(LOCKED_OUT, retry_after=remaining)

    user = authenticate(request, email=email, password=password)
    if user is None:
        locked = lockout_record_failure(email)
        audit_record(
            action=AuditAction.LOGIN,
            user=target,
            request=request,
            status=AuditStatus.FAILURE,
            details={"email": email, "channel": channel, **({"locked_out": True} if locked else {})},
        )
        raise AuthenticationError(BAD_CREDENTIALS, code="invalid_credentials")
    lockout_clear(email)
    # Signed in: the rest of this request's transaction may read the account's own rows (its profile).
    rls.set_request_user(user)
    return user


def login_audit_success(*, user: User, request: AnyRequest | None, channel: LoginChannel) -> None:
    """Record a completed sign-in and its time."""
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit_record(action=AuditAction.LOGIN, user=user, request=request, details={"channel": channel})


def login_audit_refused(*, user: User, request: AnyRequest | None, channel: LoginChannel, reason: str) -> None:
    """Record right credentials refused at this door (a driver at the admin, say)."""
    audit_record(
        action=AuditAction.LOGIN,
        user=user,
        request=request,
        status=AuditStatus.FAILURE,
        details={"email": user.email, "channel": channel, "reason": reason},
    )


def user_login(*, email: str, password: str, request: AnyRequest | None = None) -> tuple[User, TokenPair]:
    """Check the credentials of an active account and open a session (a refresh and an access token)."""
    user = credentials_authenticate(email=email, password=password, request=request, channel=LoginChannel.API)
    with transaction.atomic():
        tokens = TokenPair.issue(user)
        login_audit_success(user=user, request=request, channel=LoginChannel.API)
    return user, tokens


def token_refresh(*, refresh: str, request: AnyRequest | None = None) -> TokenPair:
    """Swap a refresh token for a new pair; the old one is revoked, so each can be used once.

    A token presented again after its rotation was stolen from one of the two parties that held it: the
    whole family (every token rotated from that sign-in) is revoked, so the thief's copy dies with it. A
    token minted before the password last changed is refused too, wherever the change happened.
    Not atomic as a whole: a refusal's revocations and audit row must survive the error that follows.
    """
    try:
        # simplejwt annotates the encoded token as a Token; it is the encoded string.
        payload = _ReplayAwareRefreshToken(refresh).payload  # type: ignore[arg-type]
    except TokenError as exc:
        raise AuthenticationError(str(exc), code="token_not_valid") from exc

    refused = _token_refresh_refusal(payload, request=request)
    if refused is not None:
        raise refused
    with transaction.atomic():
        # order_by() drops the model's default ordering by user, an outer join PostgreSQL cannot lock.
        # The lock makes two requests racing with the same token get one new pair and one 401.
        outstanding = (
            OutstandingToken.objects.order_by()
            .select_for_update()
            .filter(jti=payload.get(jwt_settings.JTI_CLAIM))
            .first()
        )
        if outstanding is not None and not BlacklistedToken.objects.filter(token=outstanding).exists():
            user = User.objects.get(pk=outstanding.user_id)
            BlacklistedToken.objects.create(token=outstanding)
            tokens = TokenPair.issue(user, family=payload.get(FAMILY_CLAIM))
            audit_record(action=AuditAction.TOKEN_REFRESH, user=user, request=request)
            return tokens
    # Lost the race with the same token: that is a replay too.
    _revoke_family(payload, request=request)
    raise AuthenticationError(gettext("Token is blacklisted"), code="token_not_valid")


def _token_refresh_refusal(payload: dict[str, Any], *, request: AnyRequest | None) -> AuthenticationError | None:
    outstanding = OutstandingToken.objects.filter(jti=payload.get(jwt_settings.JTI_CLAIM)).first()
    if outstanding is None:
        return AuthenticationError(gettext("Token is blacklisted"), code="token_not_valid")
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        _revoke_family(payload, request=request)
        return AuthenticationError(gettext("Token is blacklisted"), code="token_not_valid")
    if str(payload.get(jwt_settings.USER_ID_CLAIM)) != str(outstanding.user_id):
        return AuthenticationError(
            gettext("Token contained no recognizable user identification"), code="token_not_valid"
        )
    user = User.objects.filter(pk=outstanding.user_id).first()
    if user is None or user.status != AccountStatus.ACTIVE:
        return AuthenticationError(gettext("This account is suspended or closed."), code="account_inactive")
    if jwt_settings.CHECK_REVOKE_TOKEN and payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
        user.password
    ):
        _revoke_refresh_tokens(user)
        return AuthenticationError(gettext("The password has changed; sign in again."), code="password_changed")
    return None


def _revoke_family(payload: dict[str, Any], *, request: AnyRequest | None) -> None:
    """Revoke every live token of the replayed token's family (all of the account's, for one without)."""
    user = User.objects.filter(pk=payload.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None:
        return
    family = payload.get(FAMILY_CLAIM)
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    doomed = [token for token in live if family is None or _claims_unverified(token.token).get(FAMILY_CLAIM) == family]
    with transaction.atomic():
        BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in doomed], ignore_conflicts=True)
        audit_record(
            action=AuditAction.TOKEN_REFRESH,
            user=user,
            request=request,
            status=AuditStatus.WARNING,
            details={"reason": "refresh_token_reused", "revoked": len(doomed)},
        )


class _ReplayAwareRefreshToken(RefreshToken):
    """Verifies signature, expiry and type but leaves the blacklist to token_refresh, which must recognise
    a replayed token to end its family rather than merely refuse it."""

    def check_blacklist(self) -> None:
        return None


def _claims_unverified(encoded: str) -> dict[str, Any]:
    # Our own stored copy, read for its family claim only; it was verified when it was issued.
    try:
        return dict(RefreshToken(encoded, verify=False).payload)  # type: ignore[arg-type]  # the encoded string
    except TokenError:
        return {}


@transaction.atomic
def user_logout(*, user: User, refresh: str, access: Token | None = None, request: AnyRequest | None = None) -> None:
    """Revoke one of the caller's own refresh tokens (this device's session), and the access token used.

    The access token would otherwise keep working until it expires; its jti is refused until then.
    """
    invalid = ValidationError({"refresh": gettext("This refresh token is invalid, expired or already revoked.")})
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # the encoded string, as above
    except TokenError as exc:
        raise invalid from exc
    # Someone else's token gets the same answer as a bad one: logout is no oracle for stolen tokens.
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise invalid
    token.blacklist()
    if access is not None and access.get(jwt_settings.JTI_CLAIM):
        RevokedAccessToken.objects.expired().delete()  # keeps the table as small as the live tokens
        RevokedAccessToken.objects.get_or_create(
            jti=access[jwt_settings.JTI_CLAIM],
            defaults={"user": user, "expires_at": datetime_from_epoch(access["exp"])},
        )
    audit_record(action=AuditAction.LOGOUT, user=user, request=request)


def user_change_password(
    *, user: User, old_password: str, new_password: str, request: AnyRequest | None = None
) -> User:
    """Replace the password after checking the old one, and end every session of the account.

    Outstanding refresh tokens are revoked; access tokens stop at once too, because they carry a digest
    of the password hash (simplejwt's CHECK_REVOKE_TOKEN).
    """
    if not user.check_password(old_password):
        audit_record(action=AuditAction.PASSWORD_CHANGE, user=user, request=request, status=AuditStatus.FAILURE)
        raise ValidationError({"old_password": WRONG_PASSWORD})
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc

    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _revoke_refresh_tokens(user)
        audit_record(action=AuditAction.PASSWORD_CHANGE, user=user, request=request)
    return user


def _require_password(*, user: User, password: str, action: AuditAction, request: AnyRequest | None) -> None:
    # Not atomic with the caller's change: the failure's audit row must survive the error that follows.
    if not user.check_password(password):
        audit_record(action=action, user=user, request=request, status=AuditStatus.FAILURE)
        raise ValidationError({"password": WRONG_PASSWORD})


def user_change_email(*, user: User, password: str, new_email: str, request: AnyRequest | None = None) -> User:
    """Move the account to another address after checking the password; every session ends.

    The address is where a password reset would go, so a stolen access token alone must not change it.
    """
    _require_password(user=user, password=password, action=AuditAction.PROFILE_UPDATE, request=request)
    new_email = User.objects.normalize_email(new_email)
    if User.objects.by_email(new_email).exclude(pk=user.pk).exists():
        raise ValidationError({"new_email": DUPLICATE_EMAIL})
    with transaction.atomic():
        old_email = user.email
        user.email = new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError as exc:
            raise ValidationError({"new_email": DUPLICATE_EMAIL}) from exc
        user.email_verified = False
        user.save(update_fields=["email_verified"])
        _revoke_refresh_tokens(user)
        audit_record(
            action=AuditAction.PROFILE_UPDATE,
            user=user,
            request=request,
            details={"changed": ["email"], "old_email": old_email},
        )
        transaction.on_commit(lambda: _send_verification(user))
    return user


# --- Recovery and verification ------------------------------------------------------------------------


def _send_verification(user: User) -> None:
    link = settings.EMAIL_VERIFICATION_URL.format(token=recovery.verification_token_for(user))
    with translation.override(language_of(user)):
        recovery.send(
            user,
            gettext("Confirm your email address"),
            gettext("Confirm this address for CarDoc AI:\n%(link)s") % {"link": link},
        )


def _send_password_reset(user: User, *, link: str) -> None:
    # In the account's language, not the asking phone's: whoever asks need not be the owner.
    with translation.override(language_of(user)):
        body = gettext(
            "Someone asked to reset the CarDoc AI password for this address. If it was you, open this link "
            "within %(minutes)s minutes:\n%(link)s\n\nIf it was not, ignore this email; your password stays "
            "as it is."
        ) % {"minutes": settings.PASSWORD_RESET_TIMEOUT // 60, "link": link}
        recovery.send(user, gettext("Reset your CarDoc AI password"), body)


def password_reset_request(*, email: str, request: AnyRequest | None = None) -> None:
    """Email a single-use reset link to the active account with this address, if there is one.

    The caller learns nothing either way: the answer, and the audit row, are the same.
    """
    email = User.objects.normalize_email(email)
    user = User.objects.active().by_email(email).first()
    audit_record(
        action=AuditAction.PASSWORD_RESET,
        user=user or AnonymousUser(),
        request=request,
        details={"event": "requested", "email": email},
    )
    if user is None or not user.has_usable_password():
        return
    uid, token = recovery.reset_token_for(user)
    link = settings.PASSWORD_RESET_URL.format(uid=uid, token=token)
    transaction.on_commit(lambda: _send_password_reset(user, link=link))


def password_reset_confirm(*, uid: str, token: str, new_password: str, request: AnyRequest | None = None) -> User:
    """Set a new password from a reset link; the link then stops working and every session ends."""
    user = recovery.user_for_reset(uid, token)
    if user is None:
        audit_record(
            action=AuditAction.PASSWORD_RESET,
            request=request,
            status=AuditStatus.FAILURE,
            details={"event": "bad_token"},
        )
        raise ValidationError(
            {"token": gettext("This reset link is invalid, already used or expired. Ask for a new one.")}
        )
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(new_password)
        # Changing last_login too keeps the token single-use even if the new password equals the old one.
        user.last_login = timezone.now()
        # Whoever reads the mailbox proved the address.
        user.email_verified = True
        user.save(update_fields=["password", "last_login", "email_verified"])
        _revoke_refresh_tokens(user)
        audit_record(action=AuditAction.PASSWORD_RESET, user=user, request=request, details={"event": "completed"})
    return user


@transaction.atomic
def email_verify(*, token: str, request: AnyRequest | None = None) -> User:
    """Mark the address verified from the link sent to it."""
    user = recovery.user_for_verification(token)
    if user is None:
        raise ValidationError({"token": gettext("This verification link is invalid or expired. Ask for a new one.")})
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
        audit_record(
            action=AuditAction.PROFILE_UPDATE, user=user, request=request, details={"changed": ["email_verified"]}
        )
    return user


def email_verification_resend(*, user: User) -> bool:
    """Send the verification link again; False when the address is already verified."""
    if user.email_verified:
        return False
    _send_verification(user)
    return True


def user_delete_account_confirmed(*, user: User, password: str, request: AnyRequest | None = None) -> None:
    """Close the account once the caller has proved they know its password (see user_delete_account)."""
    _require_password(user=user, password=password, action=AuditAction.ACCOUNT_DELETION, request=request)
    user_delete_account(user=user, request=request)


@transaction.atomic
def user_delete_account(*, user: User, request: AnyRequest | None = None) -> None:
    """Close the account: deactivate it, strip everything personal and end every session.

    The row stays (reviews and audit history point at it) but nothing in it identifies the person: the
    email becomes a unique placeholder, the password unusable, the profile and privileges go. Cars,
    diagnostics (with their photos and recordings), maintenance and notifications are deleted; the files
    go once the transaction has committed, so a rollback never leaves rows pointing at missing files.
    Audit events stay, detached from the account, with the old email scrubbed from their details.
    """
    old_email = user.email

    # Each app above erases its own part (cardoc.hooks.user_erasers), highest first: their rows point here.
    for erase in reversed(user_erasers):
        erase(user=user)
    Vehicle.objects.filter(user=user).delete()
    UserProfile.objects.filter(user=user).delete()
    UserObjectPermission.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()

    user.email = f"deleted-{uuid.uuid4().hex}@deleted.invalid"
    user.set_unusable_password()
    user.status = AccountStatus.INACTIVE
    user.role = Role.CAR_USER
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.save()
    _revoke_refresh_tokens(user)

    scrubbed = []
    for event in AuditEvent.objects.filter(details__email=old_email).only("id", "details"):
        event.details = {**event.details, "email": user.email}
        scrubbed.append(event)
    AuditEvent.objects.bulk_update(scrubbed, ["details"])
    AuditEvent.objects.filter(user=user).update(user=None)
    audit_record(
        action=AuditAction.ACCOUNT_DELETION,
        # An anonymous user, not None: audit_record would otherwise take the (closed) caller from the request.
        user=AnonymousUser(),
        request=request,
        details={"anonymised_user_id": str(user.pk)},
    )


def sessions_revoke_on_password_change(*, user: User) -> None:
    """End every refresh token of an account whose password was just set, wherever it was set.

    Connected to ``post_save`` of User (accounts.apps): the admin's password form, ``manage.py
    changepassword`` and any ``set_password()`` + ``save()`` all end here, not only the API's service.
    """
    _revoke_refresh_tokens(user)


def user_access_changed(*, user: User, old_role: str, old_status: str, request: AnyRequest | None = None) -> None:
    """Follow up a staff change of an account's role or status: drop what the old role granted, audit it.

    An account that stops being a mechanic loses its listings (ownership and the per-listing permissions),
    which staff would otherwise have to find and remove by hand.
    """
    if user.role == old_role and user.status == old_status:
        return
    if old_role == Role.MECHANIC and user.role != Role.MECHANIC:
        for revoke in mechanic_role_revokers:
            revoke(user=user)
        UserObjectPermission.objects.filter(user=user).delete()
    if user.status != AccountStatus.ACTIVE:
        _revoke_refresh_tokens(user)
    audit_record(
        action=AuditAction.ADMIN_ACTION,
        user=request.user if request is not None else None,
        request=request,
        details={
            "event": "access_changed",
            "account": str(user.pk),
            "role": [old_role, user.role],
            "status": [old_status, user.status],
        },
    )


def _revoke_refresh_tokens(user: User) -> None:
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)


# --- Profile --------------------------------------------------------------------------------------


@transaction.atomic
def profile_update(
    *,
    user: User,
    full_name: str | Unset = UNSET,
    phone: str | Unset = UNSET,
    preferences: dict[str, Any] | Unset = UNSET,
    units: str | Unset = UNSET,
    locale: str | Unset = UNSET,
    timezone: str | Unset = UNSET,
    reminder_lead_days: int | Unset = UNSET,
    currency: str | Unset = UNSET,
    request: AnyRequest | None = None,
) -> UserProfile:
    """Change the given profile fields (creating the profile of an account that has none yet); audited with
    the names of the fields changed, never their values."""
    profile = UserProfile.objects.select_for_update().filter(user=user).first() or UserProfile(user=user)
    if full_name is not UNSET:
        profile.full_name = full_name
    if phone is not UNSET:
        profile.phone = phone
    if preferences is not UNSET:
        profile.preferences = preferences
    if units is not UNSET:
        profile.units = units
    if locale is not UNSET:
        profile.locale = locale
    if timezone is not UNSET:
        profile.timezone = timezone
    if reminder_lead_days is not UNSET:
        profile.reminder_lead_days = reminder_lead_days
    if currency is not UNSET:
        profile.currency = currency.upper()
    profile.full_clean()
    profile.save()
    changed = [
        name
        for name, value in {
            "full_name": full_name,
            "phone": phone,
            "preferences": preferences,
            "units": units,
            "locale": locale,
            "timezone": timezone,
            "reminder_lead_days": reminder_lead_days,
            "currency": currency,
        }.items()
        if value is not UNSET
    ]
    audit_record(action=AuditAction.PROFILE_UPDATE, user=user, request=request, details={"changed": changed})
    return profile


# --- Vehicles -------------------------------------------------------------------------------------


@transaction.atomic
def vehicle_create(
    *,
    user: User,
    id: UUID | None = None,
    make: str,
    model: str,
    year: int,
    vin: str = "",
    fuel_type: str = Vehicle.FuelType.PETROL,
    odometer_km: int = 0,
    nickname: str = "",
) -> Vehicle:
    """Add a car to the user's garage; ``id`` is the one the app chose offline, if it did."""
    vehicle = Vehicle(
        id=id or uuid.uuid4(),
        user=user,
        make=make,
        model=model,
        year=year,
        vin=vin,
        fuel_type=fuel_type,
        odometer_km=odometer_km,
        nickname=nickname,
    )
    return _vehicle_save(vehicle)


@transaction.atomic
def vehicle_update(
    *,
    vehicle: Vehicle,
    make: str | Unset = UNSET,
    model: str | Unset = UNSET,
    year: int | Unset = UNSET,
    vin: str | Unset = UNSET,
    fuel_type: str | Unset = UNSET,
    odometer_km: int | Unset = UNSET,
    nickname: str | Unset = UNSET,
) -> Vehicle:
    """Change the given fields of a car; the odometer only goes forward.

    The row is locked and re-read, and only the given columns are written: a nickname edit racing a
    maintenance completion cannot restore the odometer reading the completion moved forward.
    """
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    changes: dict[str, Any] = {
        name: value
        for name, value in {
            "make": make,
            "model": model,
            "year": year,
            "vin": vin,
            "fuel_type": fuel_type,
            "odometer_km": odometer_km,
            "nickname": nickname,
        }.items()
        if value is not UNSET
    }
    if "odometer_km" in changes and changes["odometer_km"] < vehicle.odometer_km:
        # A lower reading would silence every km-based reminder; /complete refuses it for the same reason.
        raise ValidationError(
            {
                "odometer_km": gettext(
                    "The odometer reading of %(new)s km is lower than this car's last known reading of %(last)s km."
                    " Odometers only go forward."
                )
                % {
                    "new": number_format(changes["odometer_km"], force_grouping=True),
                    "last": number_format(vehicle.odometer_km, force_grouping=True),
                }
            }
        )
    for name, value in changes.items():
        setattr(vehicle, name, value)
    return _vehicle_save(vehicle, fields=[*changes, "updated_at"])


@transaction.atomic
def vehicle_delete(*, vehicle: Vehicle) -> None:
    """Remove a car; its diagnostics and maintenance stay in the history, no longer linked to it."""
    vehicle.delete()


def _vehicle_save(vehicle: Vehicle, *, fields: list[str] | None = None) -> Vehicle:
    vehicle.vin = vehicle.vin.strip().upper()
    if vehicle.vin and (problem := vin_errors(vehicle.vin)):
        raise ValidationError({"vin": problem})
    if vehicle.vin and Vehicle.objects.filter(user=vehicle.user, vin=vehicle.vin).exclude(pk=vehicle.pk).exists():
        raise ValidationError({"vin": DUPLICATE_VIN})
    vehicle.full_clean()
    try:
        with transaction.atomic():
            vehicle.save(update_fields=fields)
    except IntegrityError as exc:
        raise ValidationError({"vin": DUPLICATE_VIN}) from exc
    return vehicle


def tokens_prune(*, expired_for: timedelta) -> int:
    """Delete refresh tokens (and their blacklist rows) and signed-out access tokens expired ``expired_for`` ago.

    An expired token is refused by its own signature, so its row only serves an investigation for a while.
    """
    cutoff = timezone.now() - expired_for
    refresh = rows_delete_in_batches(OutstandingToken.objects.filter(expires_at__lt=cutoff))
    return refresh + rows_delete_in_batches(RevokedAccessToken.objects.filter(expires_at__lt=cutoff))


# --- Storage quota --------------------------------------------------------------------------------


def storage_quota_bytes() -> int:
    """How many bytes of files one account may keep (USER_STORAGE_QUOTA_MB)."""
    return int(settings.USER_STORAGE_QUOTA_MB) * 1024 * 1024


def storage_used(*, user: User) -> int:
    """Bytes of ``user``'s files stored today, summed over every app that keeps some (hooks.storage_usage)."""
    return sum(source(user=user) for source in storage_usage)


def _size(size: int, *, rounded_up: bool) -> str:
    """KB under a megabyte, else MB to a tenth; the upload rounds up and the free space down, so a refusal
    never reads as if the upload would have fitted."""
    step = math.ceil if rounded_up else math.floor
    if size < 1024 * 1024:
        return f"{step(size / 1024)} KB"
    return f"{step(size / 1024 / 1024 * 10) / 10:.1f} MB"


@transaction.atomic
def storage_quota_check(*, user: User, incoming_bytes: int) -> None:
    """Refuse (413, ``storage_quota_exceeded``) when ``incoming_bytes`` more would take ``user`` over the quota.

    Call it inside the transaction that stores the files, before storing them: it locks the user's row, so
    two uploads racing each other are counted one after the other and cannot both squeeze in under the quota.
    Every feature that keeps a user's files (diagnostics today, attachments tomorrow) calls this one check
    and registers what it stores on ``cardoc.hooks.storage_usage``.
    """
    if incoming_bytes <= 0:
        return
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    quota = storage_quota_bytes()
    used = storage_used(user=user)
    if used + incoming_bytes > quota:
        free = max(0, quota - used)
        raise StorageQuotaExceededError(
            f"Your storage is full: this upload is {_size(incoming_bytes, rounded_up=True)}, and "
            f"{_size(free, rounded_up=False)} of your {_size(quota, rounded_up=False)} are free. "
            "Delete older diagnostics to make room."
        )
