"""History at a million rows: seed 1,000,000 diagnostics over 10,000 drivers, then time the history lists.

    python benchmarks/history.py [--rows 1000000] [--drivers 10000] [--repeats 20] [--keepdb] [--json]

It runs once on SQLite and, when DATABASE_URL names PostgreSQL, once more there (each in its own process).
Each database is a throwaway copy made by Django's test machinery, migrated from scratch and dropped at the
end (a SQLite file under var/, or ``benchmark_history_<name>`` beside DATABASE_URL's; the role needs
CREATEDB). Seeding a million rows takes many minutes: ``--keepdb`` keeps the seeded copy for the next run,
which then only times the lists. Every driver gets an even share of the diagnostics, except one fleet
account that holds 1% of them (10,000 at a million): its lists are the ones timed, since an ordinary driver's
100 rows are no test of an index. Completed diagnostics have a result; there is one maintenance
record per five diagnostics. Each case is one GET through the API as that driver (row-level security
on, on PostgreSQL): its median latency and its number of queries. With ``--json`` the last line is one JSON object:
``{"<database>": {"<case>": {"api_p50_ms", "queries"}}}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardoc.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from accounts.models import User  # noqa: E402
from cardoc import rls  # noqa: E402
from diagnostics.models import DiagnosticRecord, DiagnosticResult  # noqa: E402
from maintenance.models import MaintenanceRecord  # noqa: E402

BATCH = 5000
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
TYPES = ["dashboard_scan", "engine_sound", "combined"]
# Mostly finished work, as a history is; a few still queued or running.
STATUSES = ["completed"] * 85 + ["failed"] * 10 + ["pending"] * 3 + ["in_progress"] * 2
URGENCIES = ["monitoring"] * 60 + ["soon"] * 30 + ["immediate"] * 10
MAINTENANCE_TYPES = ["scheduled", "corrective", "preventive"]


def throwaway_database(*, keep: bool) -> str:
    original = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        name = str(Path(settings.VAR_DIR) / "benchmark_history.sqlite3")
    else:
        name = f"benchmark_history_{original}"
    connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": name}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep)
    return original


def batches(items: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(*, rows: int, drivers: int) -> tuple[User, float]:
    """Drivers, diagnostics (with results when completed) and maintenance; returns the fleet account."""
    started = time.perf_counter()
    rng = random.Random(1_000_000)
    password = make_password("benchmark-history-password")
    User.objects.bulk_create(
        (User(email=f"driver{index:05d}@bench.example", password=password) for index in range(drivers)),
        batch_size=BATCH,
    )
    user_ids = list(User.objects.order_by("email").values_list("pk", flat=True))
    fleet, others = user_ids[0], user_ids[1:]
    fleet_rows = rows // 100
    # created_at is auto_now_add; the history needs it spread over two years, so seeding sets it itself.
    stamped = [DiagnosticRecord._meta.get_field("created_at"), MaintenanceRecord._meta.get_field("created_at")]
    for field in stamped:
        field.auto_now_add = False  # type: ignore[attr-defined]
    try:
        for batch in batches(iter(range(rows))):
            records, results, jobs = [], [], []
            for index in batch:
                owner = fleet if index < fleet_rows else others[index % len(others)]
                created = START + dt.timedelta(seconds=rng.randrange(0, 2 * 365 * 86400))
                status = rng.choice(STATUSES)
                record = DiagnosticRecord(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    user_id=owner,
                    diagnostic_type=rng.choice(TYPES),
                    status=status,
                    created_at=created,
                    captured_at=created,
                    finished_at=created + dt.timedelta(seconds=3) if status in ("completed", "failed") else None,
                )
                records.append(record)
                if status == "completed":
                    results.append(
                        DiagnosticResult(
                            record=record,
                            overall_confidence=round(rng.random(), 3),
                            urgency=rng.choice(URGENCIES),
                        )
                    )
                if index % 5 == 0:
                    jobs.append(
                        MaintenanceRecord(
                            user_id=owner,
                            maintenance_type=rng.choice(MAINTENANCE_TYPES),
                            title="Oil change",
                            scheduled_date=(created + dt.timedelta(days=rng.randrange(-30, 90))).date(),
                            created_at=created,
                        )
                    )
            DiagnosticRecord.objects.bulk_create(records)
            DiagnosticResult.objects.bulk_create(results)
            MaintenanceRecord.objects.bulk_create(jobs)
    finally:
        for field in stamped:
            field.auto_now_add = True  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return User.objects.get(pk=fleet), time.perf_counter() - started


def timed(run: Callable[[], object], repeats: int) -> float:
    run()  # warm the caches once, as a running server would be
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def deep_link(api: APIClient, url: str, pages: int) -> str:
    """The URL of page ``pages`` of a cursor-paginated list, reached by following its next links."""
    link = url
    for _ in range(pages - 1):
        following = api.get(link).json()["next"]
        if following is None:
            break
        link = following
    return link


def measure(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    setup_test_environment(debug=False)
    original = throwaway_database(keep=args.keepdb)
    figures: dict[str, dict[str, float]] = {}
    try:
        with rls.bypass(reason="checking a kept copy"):
            kept = args.keepdb and DiagnosticRecord.objects.count() == args.rows
        if args.keepdb and not kept:  # a copy of another size, or a half-seeded one: start it again
            connection.close()
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        with rls.bypass(reason="seeding the benchmark's drivers"):
            if kept:
                fleet, seconds = User.objects.order_by("email").first(), 0.0
            else:
                fleet, seconds = seed(rows=args.rows, drivers=args.drivers)
        with rls.bypass(reason="counting the fleet's rows"):
            mine = DiagnosticRecord.objects.filter(user=fleet).count()
            jobs = MaintenanceRecord.objects.filter(user=fleet).count()
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), throwaway")
        made = "kept from an earlier run (--keepdb)" if kept else f"seeded in {seconds:.0f} s"
        print(
            f"{args.rows:,} diagnostics over {args.drivers:,} drivers, {made}; "
            f"the fleet account has {mine:,} diagnostics and {jobs:,} maintenance records"
        )
        api = APIClient()
        # A real bearer token, not force_authenticate: the token's authentication is what sets the request's
        # row-level-security user on PostgreSQL, so a forced user would see no rows at all.
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(fleet)}")
        deep_diagnostics = max(2, min(mine // 20, 200))
        deep_maintenance = max(1, math.ceil(jobs / 20))
        cases = {
            "diagnostics first page": "/api/v1/diagnostics",
            f"diagnostics page {deep_diagnostics}": deep_link(api, "/api/v1/diagnostics", deep_diagnostics),
            "diagnostics completed engine sounds": "/api/v1/diagnostics?status=completed&diagnostic_type=engine_sound",
            "diagnostics urgency=immediate": "/api/v1/diagnostics?urgency=immediate",
            "diagnostics in one month": "/api/v1/diagnostics?created_after=2025-03-01T00:00:00Z"
            "&created_before=2025-04-01T00:00:00Z",
            "maintenance first page": "/api/v1/maintenance",
            f"maintenance page {deep_maintenance} (last)": f"/api/v1/maintenance?page={deep_maintenance}",
            "maintenance corrective, 2025": "/api/v1/maintenance?maintenance_type=corrective"
            "&scheduled_after=2025-01-01&scheduled_before=2025-12-31",
        }
        print()
        print(f"{'case':<40}{'API p50':>10}{'queries':>9}{'rows':>6}")
        for label, url in cases.items():

            def get(url: str = url) -> object:
                response = api.get(url)
                assert response.status_code == 200, response.content
                return response

            p50 = timed(get, args.repeats)
            with CaptureQueriesContext(connection) as context:
                shown = len(get().json()["results"])  # type: ignore[attr-defined]
            queries = len(context.captured_queries)
            # An empty page is fast and proves nothing: every case must show the fleet's rows.
            if not shown:
                sys.exit(f"{label}: the page has no rows ({url})")
            print(f"{label:<40}{p50:>8.1f}ms{queries:>9}{shown:>6}")
            figures[label] = {"api_p50_ms": round(p50, 2), "queries": queries}
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(original, verbosity=0)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--drivers", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--keepdb", action="store_true", help="Keep the seeded database, and reuse it when it holds --rows rows."
    )
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({connection.vendor: measure(args)}))
        return
    runs = [{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        runs.append(dict(os.environ))
    results: dict[str, object] = {}
    for env in runs:
        command = [sys.executable, __file__, "--child", *sys.argv[1:]]
        out = subprocess.run(command, env={**env, "LOG_LEVEL": "WARNING"}, capture_output=True, text=True)
        lines = out.stdout.strip().splitlines()
        if out.returncode != 0 or not lines:
            sys.exit(f"benchmark run failed:\n{out.stdout}\n{out.stderr}")
        print("\n".join(lines[:-1]) + "\n")
        results.update(json.loads(lines[-1]))
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
