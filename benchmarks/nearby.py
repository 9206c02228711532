"""Nearby-mechanics search at scale: seed 100,000 listings in a throwaway database and time the query.

    python benchmarks/nearby.py [--rows 100000] [--repeats 30] [--json]

It runs once on SQLite and, when DATABASE_URL names PostgreSQL, once more there (each in its own process,
since Django reads its database settings once). Each database is a throwaway copy built by Django's test
machinery, migrated from scratch and removed at the end: a SQLite file under var/, or a PostgreSQL database
called ``benchmark_nearby_<name>`` beside DATABASE_URL's (the role needs CREATEDB). Listings are spread like
a real country: two dense cities (Yaoundé and Douala) and a sparse countryside. Each scenario prints the
median and 95th percentile latency of the first page (20 nearest) through the ORM (``nearest()``, what the
API runs) and through the HTTP API, how many rows the bounding box holds and how many lie in the circle,
and, for comparison, ``nearby()``: every listing in the circle sorted by distance. With ``--json`` the last
line is one JSON object: ``{"<database>": {"<scenario>": {"api_p50_ms", "orm_p50_ms"}}}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardoc.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from directory.models import DegreeDistance, Mechanic, bounding_box  # noqa: E402

CITIES = {"Yaoundé": (3.8480, 11.5021), "Douala": (4.0511, 9.7679)}
COUNTRY = ((2.0, 13.0), (8.5, 16.0))  # Cameroon, roughly: latitude and longitude ranges
SCENARIOS = [
    ("Yaoundé centre, 2 km", CITIES["Yaoundé"], 2.0),
    ("Yaoundé centre, 10 km", CITIES["Yaoundé"], 10.0),
    ("Douala centre, 5 km", CITIES["Douala"], 5.0),
    ("countryside, 25 km", (6.5, 13.5), 25.0),
    # "At any radius": the widest the API allows, from a city centre (tens of thousands in the circle).
    ("Yaoundé centre, 200 km", CITIES["Yaoundé"], 200.0),
]
WEEKDAYS_OPEN = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}


def throwaway_database() -> str:
    """Point the connection at a fresh, migrated throwaway database; return the original name."""
    original = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        name = str(Path(settings.VAR_DIR) / "benchmark_nearby.sqlite3")
    else:
        name = f"benchmark_nearby_{original}"
    connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": name}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return original


def scatter(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """40% around each city (a few km spread), 20% anywhere in the country."""
    points = []
    for index in range(count):
        share = index % 5
        if share < 4:
            lat0, lng0 = CITIES["Yaoundé"] if share < 2 else CITIES["Douala"]
            spread_km = 6.0
            lat = lat0 + rng.gauss(0, spread_km) / 111.2
            lng = lng0 + rng.gauss(0, spread_km) / (111.2 * math.cos(math.radians(lat0)))
        else:
            lat, lng = rng.uniform(*COUNTRY[0]), rng.uniform(*COUNTRY[1])
        points.append((round(lat, 6), round(lng, 6)))
    return points


def seed(rows: int) -> float:
    rng = random.Random(20260101)
    started = time.perf_counter()
    batch = []
    for index, (lat, lng) in enumerate(scatter(rng, rows)):
        batch.append(
            Mechanic(
                business_name=f"Benchmark garage {index:06d}",
                address=f"{index} Benchmark street",
                latitude=lat,
                longitude=lng,
                working_hours=WEEKDAYS_OPEN,
                rating=round(rng.uniform(0, 5), 2),
                verified=index % 3 == 0,
            )
        )
        if len(batch) == 5000:
            Mechanic.objects.bulk_create(batch)
            batch = []
    Mechanic.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def timed(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    run()  # warm the caches once, as a running server would be
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)]


def measure(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Seed a throwaway copy of this process's database, print the table, return the headline figures."""
    setup_test_environment(debug=False)
    original = throwaway_database()
    figures: dict[str, dict[str, float]] = {}
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), throwaway")
        print(f"seeded {args.rows:,} mechanics with bulk_create in {seed(args.rows):.1f} s")
        user = User.objects.create_user("benchmark@example.com")
        api = APIClient()
        api.force_authenticate(user)

        plan = Mechanic.objects.nearby(latitude=3.848, longitude=11.5021, radius_km=2).explain()
        print(f"index used by the box prefilter: {'yes' if 'mechanic_lat_lng_idx' in plan else 'NO'}")
        if connection.vendor == "postgresql":
            probe = Mechanic.objects.order_by(DegreeDistance(latitude=3.848, longitude=11.5021))[:20].explain()
            print(f"GiST index used by the nearest probe: {'yes' if 'mechanic_location_gist' in probe else 'NO'}")
        print()
        header = f"{'scenario':<24}{'in box':>8}{'found':>7}{'ORM p50':>10}{'p95':>8}{'API p50':>10}{'p95':>8}"
        print(header + f"{'nearby() p50':>14}")
        for label, (lat, lng), radius in SCENARIOS:
            box = Mechanic.objects.filter(bounding_box(latitude=lat, longitude=lng, radius_km=radius)).count()
            found = Mechanic.objects.nearby(latitude=lat, longitude=lng, radius_km=radius).count()

            def orm(lat: float = lat, lng: float = lng, radius: float = radius) -> object:
                return list(Mechanic.objects.nearest(latitude=lat, longitude=lng, radius_km=radius)[:20])

            def http(lat: float = lat, lng: float = lng, radius: float = radius) -> object:
                response = api.get("/api/v1/mechanics", {"near": f"{lat},{lng}", "radius_km": radius})
                assert response.status_code == 200, response.content
                return response

            def everything(lat: float = lat, lng: float = lng, radius: float = radius) -> object:
                return list(Mechanic.objects.nearby(latitude=lat, longitude=lng, radius_km=radius)[:20])

            orm_p50, orm_p95 = timed(orm, args.repeats)
            api_p50, api_p95 = timed(http, args.repeats)
            all_p50, _ = timed(everything, max(3, args.repeats // 10))
            print(
                f"{label:<24}{box:>8,}{found:>7,}{orm_p50:>8.1f}ms{orm_p95:>6.1f}ms"
                f"{api_p50:>8.1f}ms{api_p95:>6.1f}ms{all_p50:>12.1f}ms"
            )
            figures[label] = {"api_p50_ms": round(api_p50, 2), "orm_p50_ms": round(orm_p50, 2)}
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory of this process: {peak_mib:.0f} MiB")
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({connection.vendor: measure(args)}))
        return
    # One child process per database: SQLite always, PostgreSQL when DATABASE_URL names it.
    runs = [{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        runs.append(dict(os.environ))
    results: dict[str, object] = {}
    for env in runs:
        command = [sys.executable, __file__, "--child", f"--rows={args.rows}", f"--repeats={args.repeats}"]
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
