"""django-q2 entry points of the maintenance app."""

from __future__ import annotations

from dataclasses import asdict

from cardoc import rls
from maintenance.services import reminders_send


def send_reminders() -> dict[str, int]:
    """Run by the "maintenance-reminders" schedule every 15 minutes; returns what it sent, for the task log."""
    with rls.bypass(reason="send_reminders"):
        return asdict(reminders_send())
