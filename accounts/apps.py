from __future__ import annotations

from django.apps import AppConfig

VEHICLES = "accounts.api.views.VehicleViewSet"


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from accounts import signals
        from accounts.forms import AdminLoginForm
        from cardoc import sync
        from cardoc.sync import ALL_OPERATIONS, SyncSource

        signals.connect()
        # The phone's offline copy (cardoc.sync): one line per synced type.
        sync.register(SyncSource(kind="vehicle", model="accounts.Vehicle", viewset=VEHICLES, operations=ALL_OPERATIONS))
        # The admin's sign-in goes through the same throttles, lockout and audit as the API's.
        admin.site.login_form = AdminLoginForm
