"""A real django-q2 cluster process on the test database, for tests marked ``worker``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def worker_database_url() -> str:
    """The test database (not the development one) as a URL the worker process can use."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith(".sqlite3"):  # django-prometheus wraps the backend: match its last part
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def qcluster_process(*, var_dir: Path, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``manage.py qcluster`` with one worker; stop it (SIGTERM, then SIGKILL after 30 s) on exit."""
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": worker_database_url(),
        "TASKS_SYNC": "false",
        "Q_WORKERS": "1",
        # The worker's private storage is <CARDOC_VAR_DIR>/private.
        "CARDOC_VAR_DIR": str(var_dir),
    }
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def slow_pair(key: str, seconds: float) -> None:
    """A task for the shutdown test: marks that it started, works for ``seconds``, then writes two rows in one
    transaction, so a task cut short leaves either both rows or neither (never half its work)."""
    import time

    from django.db import transaction

    from cardoc.models import AppSetting

    AppSetting.objects.create(key=f"{key}-started", value=True, category="notifications")
    time.sleep(seconds)
    with transaction.atomic():
        AppSetting.objects.create(key=f"{key}-a", value=1, category="notifications")
        AppSetting.objects.create(key=f"{key}-b", value=2, category="notifications")
