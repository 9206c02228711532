"""Rate-limit counters are shared by every process, not kept per gunicorn worker (issue 14, defect 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = f"{quote(db['USER'])}:{quote(db['PASSWORD'])}"
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_the_default_cache_is_not_per_process_without_redis() -> None:
    if settings.REDIS_URL:
        pytest.skip("Redis is shared by construction")
    assert "locmem" not in settings.CACHES["default"]["BACKEND"].lower()


@pytest.mark.django_db(transaction=True)
def test_a_login_counted_in_one_process_is_seen_by_another(driver: object) -> None:
    if settings.REDIS_URL:
        pytest.skip("Redis is shared by construction")
    for attempt in range(5):
        APIClient(REMOTE_ADDR=f"203.0.113.{attempt + 1}").post(
            "/api/v1/auth/login", {"email": "driver@example.com", "password": "wrong-password"}
        )
    # A second process (another gunicorn worker, say) on the same database reads the same counter.
    script = (
        "from types import SimpleNamespace;"
        "from accounts.throttles import LoginEmailThrottle;"
        "print(LoginEmailThrottle().allow_request(SimpleNamespace(data={'email': 'DRIVER@example.com'}), None))"
    )
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "cardoc.settings"}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
