"""django-q2 entry points for accounts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from accounts.services import tokens_prune
from cardoc import rls


def prune_tokens() -> int:
    """Scheduled daily (setup_schedules): drop tokens expired more than EXPIRED_TOKEN_RETENTION_DAYS ago."""
    with rls.bypass(reason="prune_tokens"):
        return tokens_prune(expired_for=timedelta(days=settings.EXPIRED_TOKEN_RETENTION_DAYS))
