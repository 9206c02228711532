from __future__ import annotations

from django.apps import AppConfig


class CardocConfig(AppConfig):
    """The project package doubles as the app for cross-cutting models (settings, audit)."""

    name = "cardoc"
    verbose_name = "CarDoc platform"
    default_auto_field = "django.db.models.BigAutoField"
