from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cardoc.views import api_not_found, health, home, public_media

handler404 = "cardoc.exceptions.not_found_view"
handler500 = "cardoc.exceptions.server_error_view"

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cardoc.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("health/", health, name="health"),
    # Web sign-in for the mechanics' pages (the mobile app signs in through the API instead).
    path("accounts/", include("accounts.urls")),
    path("mechanics/quotes/", include("maintenance.urls")),
    path("mechanics/", include("directory.urls")),
    # MEDIA_ROOT holds only public files, catalog icons and garage photos (private uploads live elsewhere),
    # so serving it is safe.
    re_path(r"^media/(?P<path>(?:catalog|garages)/.*)$", public_media),
    # Last: whatever /api/ path nothing above matched answers the JSON error shape.
    re_path(r"^api(?:/(?P<path>.*))?$", api_not_found, name="api-not-found"),
]
