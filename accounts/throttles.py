"""Rate limits on the endpoints that guess at credentials: per client IP, per email tried, per account.

Each class is a fixed-scope ``SimpleRateThrottle`` whose rate comes from ``DEFAULT_THROTTLE_RATES``; the
429 that DRF raises carries ``Retry-After``. Counters live in the default cache, so several web processes
share them only when the cache is shared (Redis, see REDIS_URL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from cardoc.middleware import client_ip


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
        normalised = User.objects.normalize_email(email)
        # A digest keeps cache keys short and free of characters some cache backends refuse.
        ident = hashlib.sha256(normalised.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


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


class PasswordChangeThrottle(AccountThrottle):
    scope = "password_change"
