"""Web sign-in for the mechanics' pages (the mobile app signs in through the API instead)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms import WebLoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=WebLoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
