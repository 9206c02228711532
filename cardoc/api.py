"""The /api/v1 router: each app contributes its own urls module."""

from __future__ import annotations

from django.urls import include, path

from cardoc.sync_api import PublicSettingsView, SyncChangesView, SyncPushView

app_name = "api"

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("tutorials.api.urls")),
    path("", include("directory.api.urls")),
    path("", include("diagnostics.api.urls")),
    path("", include("maintenance.api.urls")),
    path("", include("mlops.api.urls")),
    path("sync/changes", SyncChangesView.as_view(), name="sync-changes"),
    path("sync/push", SyncPushView.as_view(), name="sync-push"),
    path("settings", PublicSettingsView.as_view(), name="settings"),
]
