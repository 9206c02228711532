"""Sign-in forms for the server-rendered pages: the mechanics' web login and the admin's."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import (
    LoginChannel,
    credentials_authenticate,
    login_audit_refused,
    login_audit_success,
)
from accounts.throttles import login_attempt_wait
from cardoc.exceptions import AuthenticationError, TooManyAttemptsError

TOO_MANY_ATTEMPTS = _("Too many sign-in attempts. Try again in %(seconds)s seconds.")


class ThrottledLoginMixin:
    """Sign in through the same throttles, lockout and audit as the API, on the same shared counters.

    Django's own ``AuthenticationForm.clean`` has no rate limit and no audit, and matched the email exactly
    as typed; this replaces it.
    """

    channel: LoginChannel
    cleaned_data: dict[str, Any]
    request: Any
    user_cache: User | None

    def clean(self) -> dict[str, Any]:
        email = User.objects.normalize_email(self.cleaned_data.get("username"))
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        self.cleaned_data["username"] = email

        wait = login_attempt_wait(self.request, email)
        if wait is not None:
            raise forms.ValidationError(TOO_MANY_ATTEMPTS, code="throttled", params={"seconds": math.ceil(wait)})
        try:
            user = credentials_authenticate(email=email, password=password, request=self.request, channel=self.channel)
        except TooManyAttemptsError as exc:
            raise forms.ValidationError(
                TOO_MANY_ATTEMPTS, code="locked_out", params={"seconds": exc.retry_after}
            ) from exc
        except AuthenticationError as exc:
            raise self.get_invalid_login_error() from exc  # type: ignore[attr-defined]
        try:
            self.confirm_login_allowed(user)  # type: ignore[attr-defined]
        except forms.ValidationError as exc:
            login_audit_refused(user=user, request=self.request, channel=self.channel, reason=exc.code or "refused")
            raise
        self.user_cache = user
        login_audit_success(user=user, request=self.request, channel=self.channel)
        return self.cleaned_data


class WebLoginForm(ThrottledLoginMixin, AuthenticationForm):
    channel = LoginChannel.WEB


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    channel = LoginChannel.ADMIN
