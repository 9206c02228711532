from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from accounts.api.views import (
    EmailView,
    LoginView,
    LogoutView,
    MeView,
    PasswordView,
    RefreshView,
    RegisterView,
    VehicleViewSet,
)

router = SimpleRouter(trailing_slash=False)
router.register("vehicles", VehicleViewSet, basename="vehicle")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/register", RegisterView.as_view(), name="auth-register"),
    path("auth/login", LoginView.as_view(), name="auth-login"),
    path("auth/refresh", RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", LogoutView.as_view(), name="auth-logout"),
    path("me", MeView.as_view(), name="me"),
    path("me/password", PasswordView.as_view(), name="me-password"),
    path("me/email", EmailView.as_view(), name="me-email"),
    *router.urls,
]
