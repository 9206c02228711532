"""Account recovery: password reset by email and email verification, both by single-purpose tokens.

A reset token is Django's ``PasswordResetTokenGenerator``: it expires (``PASSWORD_RESET_TIMEOUT``) and is
single-use, because it hashes the password and last sign-in, which the reset changes. A verification token
is signed (``django.core.signing``) over the account and the address it was sent to, so a token for an old
address cannot verify a new one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import send_mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext

from accounts.models import User

logger = logging.getLogger(__name__)

VERIFY_SALT = "cardoc.accounts.verify-email"


def reset_token_for(user: User) -> tuple[str, str]:
    """The (uid, token) pair a reset link carries."""
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def user_for_reset(uid: str, token: str) -> User | None:
    """The active account a (uid, token) pair resets, or None when either is wrong, used or expired."""
    try:
        pk = urlsafe_base64_decode(uid).decode()
        user = User.objects.active().filter(pk=pk).first()
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def verification_token_for(user: User) -> str:
    return signing.dumps({"u": str(user.pk), "e": user.email}, salt=VERIFY_SALT)


def user_for_verification(token: str) -> User | None:
    try:
        payload: Any = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    return User.objects.active().filter(pk=payload.get("u"), email=payload.get("e")).first()


def send(user: User, subject: str, body: str) -> None:
    try:
        send_mail(subject, gettext("Hello,\n\n%(body)s\n\nThe CarDoc AI team\n") % {"body": body}, None, [user.email])
    except Exception:
        # The answer to the caller must not depend on the mail server (nor reveal anything through it).
        logger.exception("Could not send '%s' to user %s", subject, user.pk)
