"""The staff console's front page at scale: seed a busy week in a throwaway database and time the overview.

    python benchmarks/console_overview.py [--diagnostics 20000] [--predictions 200000] [--repeats 10]

The database is a throwaway copy built by Django's test machinery, migrated from scratch and removed at the
end: a SQLite file under var/ by default, or, when DATABASE_URL names PostgreSQL, a database called
``benchmark_console_<name>`` beside it (the role needs CREATEDB). Half the diagnostics are today's, the rest
spread over the past ten days; each completed one has up to two findings. The tables are ANALYZEd after the
seeding, as a live database would be. The predictions are split between
an active model and a testing one. It prints how many queries the admin index makes (the same at every
size, since every figure is an aggregate), and the median and 95th-percentile time of the figures alone and
of the whole page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardoc.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import LightColour, LightSeverity, WarningLight  # noqa: E402
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult, DiagnosticStatus, Urgency  # noqa: E402
from diagnostics.overview import console_overview  # noqa: E402
from mlops.models import MLModel, ModelStatus, ModelType, Prediction  # noqa: E402

BATCH = 5_000


def throwaway_database() -> str:
    """Point the connection at a fresh, migrated throwaway database; return the original name."""
    original = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        name = str(Path(settings.VAR_DIR) / "benchmark_console.sqlite3")
    else:
        name = f"benchmark_console_{original}"
    connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": name}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return original


def seed(diagnostics: int, predictions: int, rng: random.Random) -> float:
    started = time.perf_counter()
    driver = User.objects.create_user("driver@example.com")
    lights = WarningLight.objects.bulk_create(
        WarningLight(
            code=f"light_{i}",
            name=f"Light {i}",
            description="A benchmark light.",
            severity=rng.choice(LightSeverity.values),
            colour=rng.choice(LightColour.values),
        )
        for i in range(40)
    )
    now = timezone.now()
    statuses = [DiagnosticStatus.COMPLETED] * 8 + [DiagnosticStatus.FAILED, DiagnosticStatus.PENDING]
    for start in range(0, diagnostics, BATCH):
        records = DiagnosticRecord.objects.bulk_create(
            DiagnosticRecord(user=driver, diagnostic_type="dashboard_scan", status=rng.choice(statuses))
            for _ in range(min(BATCH, diagnostics - start))
        )
        # created_at is set on insert; spread half of them over the past ten days.
        for record in records:
            if rng.random() < 0.5:
                record.created_at = now - timedelta(days=rng.uniform(1, 10))
        DiagnosticRecord.objects.bulk_update(records, ["created_at"], batch_size=1000)
        completed = [r for r in records if r.status == DiagnosticStatus.COMPLETED]
        results = DiagnosticResult.objects.bulk_create(
            DiagnosticResult(record=r, overall_confidence=rng.random(), urgency=rng.choice(Urgency.values))
            for r in completed
        )
        Detection.objects.bulk_create(
            Detection(result=result, warning_light=rng.choice(lights), confidence=rng.random())
            for result in results
            for _ in range(rng.choice((0, 1, 1, 2)))
        )
    models = [
        MLModel.objects.create(
            name=name,
            version="v1",
            model_type=ModelType.IMAGE_CLASSIFICATION,
            status=status,
            traffic_share=share,
            artifact_path="-",
            sha256="0" * 64,
            size_bytes=1,
        )
        for name, status, share in (("active", ModelStatus.ACTIVE, 0.0), ("challenger", ModelStatus.TESTING, 0.2))
    ]
    for start in range(0, predictions, BATCH):
        Prediction.objects.bulk_create(
            Prediction(
                ml_model=models[0] if rng.random() < 0.8 else models[1],
                confidence=rng.random(),
                is_unknown=rng.random() < 0.1,
                latency_ms=rng.lognormvariate(4, 0.5),
                top_code="light_0",
            )
            for _ in range(min(BATCH, predictions - start))
        )
    return time.perf_counter() - started


def timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diagnostics", type=int, default=20_000)
    parser.add_argument("--predictions", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    args = parser.parse_args()

    setup_test_environment(debug=False)
    original = throwaway_database()
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), throwaway")
        seconds = seed(args.diagnostics, args.predictions, random.Random(0))
        with connection.cursor() as cursor:
            # What autovacuum (PostgreSQL) or a maintenance run (SQLite) would have done to a live database:
            # without statistics the planner guesses, and the figures would time the guess.
            cursor.execute("ANALYZE")
        print(f"seeded {args.diagnostics:,} diagnostics and {args.predictions:,} predictions in {seconds:.1f} s")
        staff = User.objects.create_user("staff@example.com", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(staff)

        def page() -> object:
            response = client.get("/admin/")
            assert response.status_code == 200
            return response

        with CaptureQueriesContext(connection) as queries:
            page()
        overview = console_overview()
        print(
            f"today: {overview.total:,} diagnostics, failure rate {overview.failure_rate:.1%}, "
            f"unknown {overview.unknown_share:.1%}; {len(overview.findings)} top findings; "
            f"{len(overview.models)} serving models"
        )
        print(f"queries for the whole admin index: {len(queries)}")
        with CaptureQueriesContext(connection) as figures:
            console_overview()
        for query in sorted(figures.captured_queries, key=lambda q: -float(q["time"]))[:3]:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}")
        figures_p50, figures_p95 = timed(console_overview, args.repeats)
        page_p50, page_p95 = timed(page, args.repeats)
        print(f"figures alone:  p50 {figures_p50:.1f} ms, p95 {figures_p95:.1f} ms")
        print(f"admin index:    p50 {page_p50:.1f} ms, p95 {page_p95:.1f} ms")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process: {peak_mib:.0f} MiB")
        if args.json:
            headline = {"figures_p50_ms": round(figures_p50, 2), "page_p50_ms": round(page_p50, 2)}
            print(json.dumps({**headline, "page_queries": len(queries), "database": connection.vendor}))
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


if __name__ == "__main__":
    main()
