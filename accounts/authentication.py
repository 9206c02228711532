"""Bearer-token authentication that re-reads the account on every request."""

from __future__ import annotations

import uuid

from django.db.models import Exists
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.language import activate_profile_language
from accounts.models import AccountStatus, RevokedAccessToken, User, UserProfile
from cardoc import rls


class ActiveAccountJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication, refusing any account whose status is not active.

    A JWT stays valid until it expires whatever happens to its owner, so the status is read from the
    database on each request: staff suspending an account (or the owner closing it) locks out the
    tokens already issued, immediately. The check is on ``status`` itself rather than on simplejwt's
    ``CHECK_USER_IS_ACTIVE`` switch, so it cannot be turned off by a setting.
    """

    def get_user(self, validated_token: Token) -> User:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
            user_id = uuid.UUID(str(user_id))
        except (KeyError, ValueError) as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc

        # One query: the account, and whether this very token was signed out before it expired.
        users = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id})
        if not rls.enabled():
            # The profile too, for the language. On PostgreSQL row-level security would hide it from a join
            # made before the caller is named (and the cached miss would hide it for the whole request).
            users = users.select_related("profile")
        user = users.annotate(
            token_revoked=Exists(RevokedAccessToken.objects.filter(jti=validated_token.get(api_settings.JTI_CLAIM, "")))
        ).first()
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if user.token_revoked:
            raise AuthenticationFailed(_("This token was signed out."), code="token_revoked")
        if user.status != AccountStatus.ACTIVE:
            raise AuthenticationFailed(_("This account is suspended or closed."), code="account_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The password has changed; sign in again."), code="password_changed")
        # The second defence: from here on, PostgreSQL shows this transaction only this user's rows.
        rls.set_request_user(user)
        activate_profile_language(self._profile_locale(user))
        return user

    @staticmethod
    def _profile_locale(user: User) -> str | None:
        """The profile's locale: from the join, or on PostgreSQL read now that the caller is named (one query,
        counted in ``rls.QUERIES_PER_REQUEST``)."""
        if rls.enabled():
            return UserProfile.objects.filter(user=user).values_list("locale", flat=True).first()
        try:
            return user.profile.locale
        except UserProfile.DoesNotExist:
            return None  # accounts made by createsuperuser or the admin may have no profile yet


class ActiveAccountJWTScheme(SimpleJWTScheme):
    """Document the subclass as the same bearer JWT scheme (drf-spectacular matches exact classes)."""

    target_class = ActiveAccountJWTAuthentication
    name = "jwtAuth"
