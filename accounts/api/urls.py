from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from accounts.api.views import (
    EmailVerificationResendView,
    EmailVerifyView,
    EmailView,
    LoginView,
    LogoutView,
    MeView,
    PasswordResetConfirmView,
    PasswordResetView,
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
    path("me/email/verification", EmailVerificationResendView.as_view(), name="me-email-verification"),
    path("auth/password-reset", PasswordResetView.as_view(), name="auth-password-reset"),
    path("auth/password-reset/confirm", PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    path("auth/verify-email", EmailVerifyView.as_view(), name="auth-verify-email"),
    *router.urls,
]
