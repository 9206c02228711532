"""The /api/v1 router: each app contributes its own urls module."""

from __future__ import annotations

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("tutorials.api.urls")),
    path("", include("directory.api.urls")),
    path("", include("diagnostics.api.urls")),
    path("", include("maintenance.api.urls")),
    path("", include("mlops.api.urls")),
]
