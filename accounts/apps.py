from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from accounts import signals
        from accounts.forms import AdminLoginForm

        signals.connect()
        # The admin's sign-in goes through the same throttles, lockout and audit as the API's.
        admin.site.login_form = AdminLoginForm
