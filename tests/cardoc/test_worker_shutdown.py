"""SIGTERM to a real `manage.py qcluster`: the running task finishes or goes back to the queue, the cluster
exits within 30 s, and no task is left half-written."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django_q.brokers import get_broker

from cardoc.models import AppSetting
from cardoc.tasks import enqueue
from tests.worker_process import qcluster_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EXIT_WITHIN_S = 30
TASK_S = 3.0


def keys() -> set[str]:
    return set(AppSetting.objects.values_list("key", flat=True))


def test_sigterm_lets_the_running_task_finish_and_leaves_the_rest_queued(settings: Any, tmp_path: Path) -> None:
    settings.TASKS_SYNC = False
    log = tmp_path / "qcluster.log"
    with qcluster_process(var_dir=tmp_path, log_file=log) as process:
        for name in ("first", "second", "third"):
            enqueue("tests.worker_process.slow_pair", name, TASK_S)
        deadline = time.monotonic() + 60
        while "first-started" not in keys():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)

        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=EXIT_WITHIN_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"qcluster still running {EXIT_WITHIN_S} s after SIGTERM:\n{log.read_text()[-3000:]}")
        took = time.monotonic() - stopped_at

    written = keys()
    # The task that was running when the signal came finished its work: both rows, in one transaction.
    assert {"first-a", "first-b"} <= written, log.read_text()[-3000:]
    waiting = get_broker().queue_size()  # the database broker, or Redis when REDIS_URL is set
    for name in ("second", "third"):
        done = {f"{name}-a", f"{name}-b"} & written
        # Each other task either ran to the end or never wrote its work: never one row of two.
        assert len(done) in (0, 2), written
    finished = sum(1 for name in ("first", "second", "third") if f"{name}-a" in written)
    # What did not finish is still in the queue, for the next worker to take.
    assert finished + waiting >= 3, (written, waiting)
    assert took < EXIT_WITHIN_S
