"""The daily retention jobs: audit events, the prediction log and expired tokens, each by its own setting."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule
from model_bakery import baker
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import RevokedAccessToken, User
from accounts.tasks import prune_tokens
from cardoc.models import AuditEvent
from cardoc.tasks import prune_audit_events
from mlops.models import MLModel, Prediction
from mlops.tasks import prune_predictions

pytestmark = pytest.mark.django_db


def test_audit_events_older_than_the_setting_are_pruned(settings: Any, driver: User) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    old, recent = baker.make(AuditEvent, action="login", user=driver, _quantity=2)
    AuditEvent.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=31))
    AuditEvent.objects.filter(pk=recent.pk).update(timestamp=timezone.now() - timedelta(days=29))

    assert prune_audit_events() == 1
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert recent.pk in remaining
    assert old.pk not in remaining
    # On PostgreSQL the job's own row-level-security bypass is audited too, and is young enough to stay.
    assert AuditEvent.objects.exclude(pk=recent.pk).filter(details__event="rls_bypass").count() == len(remaining) - 1


def test_the_prediction_log_is_pruned_past_its_setting(settings: Any) -> None:
    settings.PREDICTION_RETENTION_DAYS = 7
    model = baker.make(MLModel, name="m", version="1", model_type="image_classification", sha256="0" * 64)
    rows = baker.make(Prediction, ml_model=model, confidence=0.5, latency_ms=3, _quantity=5)
    Prediction.objects.filter(pk__in=[r.pk for r in rows[:3]]).update(created_at=timezone.now() - timedelta(days=8))

    assert prune_predictions() == 3
    assert set(Prediction.objects.values_list("pk", flat=True)) == {r.pk for r in rows[3:]}
    assert MLModel.objects.filter(pk=model.pk).exists()


def test_tokens_expired_longer_than_the_setting_are_pruned(settings: Any, driver: User) -> None:
    settings.EXPIRED_TOKEN_RETENTION_DAYS = 7
    now = timezone.now()
    long_gone = OutstandingToken.objects.create(user=driver, jti="a", token="a", expires_at=now - timedelta(days=8))
    BlacklistedToken.objects.create(token=long_gone)
    lately = OutstandingToken.objects.create(user=driver, jti="b", token="b", expires_at=now - timedelta(days=1))
    live = OutstandingToken.objects.create(user=driver, jti="c", token="c", expires_at=now + timedelta(days=1))
    RevokedAccessToken.objects.create(user=driver, jti="d", expires_at=now - timedelta(days=8))
    signed_out = RevokedAccessToken.objects.create(user=driver, jti="e", expires_at=now + timedelta(minutes=5))

    assert prune_tokens() == 2

    assert set(OutstandingToken.objects.values_list("pk", flat=True)) == {lately.pk, live.pk}
    assert not BlacklistedToken.objects.exists()
    assert list(RevokedAccessToken.objects.values_list("pk", flat=True)) == [signed_out.pk]


def test_setup_schedules_runs_every_retention_job_daily() -> None:
    call_command("setup_schedules", stdout=io.StringIO())
    daily = dict(Schedule.objects.filter(schedule_type=Schedule.DAILY).values_list("name", "func"))
    assert daily == {
        "retention-audit-events": "cardoc.tasks.prune_audit_events",
        "retention-predictions": "mlops.tasks.prune_predictions",
        "retention-tokens": "accounts.tasks.prune_tokens",
        "retention-orphan-media": "diagnostics.tasks.prune_orphan_media",
        "retention-sync-tombstones": "cardoc.tasks.prune_sync_tombstones",
    }
