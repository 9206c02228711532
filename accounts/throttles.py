"""Rate limits on the endpoints that guess at credentials: per client IP, per email tried, per account.

Each class is a fixed-scope ``SimpleRateThrottle`` whose rate comes from ``DEFAULT_THROTTLE_RATES``; the
429 that DRF raises carries ``Retry-After``. Counters live in the default cache, which is shared by every
process (the database cache, or Redis when REDIS_URL is set), so two gunicorn workers never double a limit.

The web and admin sign-in forms use the same classes and the same cache keys as the API
(``login_attempt_wait``), so a password-guessing run cannot add the API's allowance to the web's. Repeated
failures on one address lock it for a while on every channel (``lockout_*``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from cardoc.request_context import client_ip


def email_digest(email: str) -> str:
    """The address normalised the way accounts store it, hashed: short, and free of characters some cache
    backends refuse."""
    return hashlib.sha256(User.objects.normalize_email(email).encode()).hexdigest()


class ClientIPThrottle(SimpleRateThrottle):
    """Counts requests per client address, as resolved by TrustedProxyMiddleware."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        ip = client_ip(request)
        if ip is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ip}


class EmailThrottle(SimpleRateThrottle):
    """Counts requests per email address in the body, normalised the way accounts store it.

    Spreading a password-guessing run over many addresses (IPs) still hits this limit for the one
    account under attack. Requests without an email are left to the IP limit and to validation.
    """

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data = request.data
        email = data.get("email") if isinstance(data, Mapping) else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {"scope": self.scope, "ident": email_digest(email)}


class AccountThrottle(SimpleRateThrottle):
    """Counts requests per signed-in account."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class LoginIPThrottle(ClientIPThrottle):
    scope = "login_ip"


class LoginEmailThrottle(EmailThrottle):
    scope = "login_email"


class RegisterIPThrottle(ClientIPThrottle):
    scope = "register_ip"


class RegisterEmailThrottle(EmailThrottle):
    scope = "register_email"


class RefreshIPThrottle(ClientIPThrottle):
    scope = "refresh_ip"


class PasswordResetIPThrottle(ClientIPThrottle):
    scope = "password_reset_ip"


class PasswordResetEmailThrottle(EmailThrottle):
    scope = "password_reset_email"


class VerificationResendThrottle(AccountThrottle):
    scope = "verification_resend"


class DiagnosticWriteThrottle(AccountThrottle):
    """Uploads and re-analyses: each costs storage and a model run."""

    scope = "diagnostic_write"


class ReviewThrottle(AccountThrottle):
    scope = "review_write"


class CalendarTokenThrottle(AccountThrottle):
    scope = "calendar_token"


class PasswordChangeThrottle(AccountThrottle):
    scope = "password_change"


# --- Sign-in outside the API, and the lockout every channel shares ------------------------------------


def login_attempt_wait(request: HttpRequest, email: str) -> float | None:
    """Count one sign-in attempt by the web or admin form; the seconds to wait when it is over a limit.

    The API's own throttle classes do the counting, on the API's keys: one budget per IP and one per
    address, whichever door the attempt comes through.
    """
    waits = []
    ip_throttle = LoginIPThrottle()
    if not ip_throttle.allow_request(request, None):  # type: ignore[arg-type]
        waits.append(ip_throttle.wait() or 1)
    email_throttle = LoginEmailThrottle()
    # The email throttle reads request.data, which a plain HttpRequest does not have.
    if not email_throttle.allow_request(SimpleNamespace(data={"email": email}), None):  # type: ignore[arg-type]
        waits.append(email_throttle.wait() or 1)
    return max(waits) if waits else None


def _lock_key(email: str) -> str:
    return f"login_lockout_until_{email_digest(email)}"


def _failures_key(email: str) -> str:
    return f"login_failures_{email_digest(email)}"


def lockout_remaining(email: str) -> float | None:
    """Seconds left on the lock of this address after repeated failures, or None when it is not locked.

    Keyed by the address tried, whether or not an account has it, so a lock reveals nothing.
    """
    until: Any = cache.get(_lock_key(email))
    if until is None:
        return None
    remaining = float(until) - time.time()
    return remaining if remaining > 0 else None


def lockout_record_failure(email: str) -> bool:
    """Count a failed sign-in on this address; True when this failure locks it."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    key = _failures_key(email)
    # Redis increments atomically; the database cache reads then writes, so two failures at the same
    # instant may count once. That delays the lock by one attempt at most, and the per-address throttle
    # still bounds the rate.
    cache.add(key, 0, timeout=window)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        failures = 1
    if failures >= settings.LOGIN_LOCKOUT_THRESHOLD:
        cache.set(_lock_key(email), time.time() + window, timeout=window)
        cache.delete(key)
        return True
    return False


def lockout_clear(email: str) -> None:
    """A successful sign-in forgives the failures before it."""
    cache.delete(_failures_key(email))
