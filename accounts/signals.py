"""The one signal accounts listens to: a password set anywhere ends the account's sessions."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from accounts.models import User
from accounts.services import sessions_revoke_on_password_change


def _password_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    # AbstractBaseUser.set_password() keeps the raw password in _password until save() has finished, so
    # it is set exactly when this save stored a new password (from any path: API, admin, changepassword).
    if getattr(instance, "_password", None) is not None:
        sessions_revoke_on_password_change(user=instance)


def connect() -> None:
    post_save.connect(_password_saved, sender=User, dispatch_uid="accounts_revoke_sessions_on_password_change")
