"""Finding a garage at scale: words, service, open at a time and rating order, composed with near.

    python benchmarks/directory_search.py [--rows 20000] [--repeats 20]

Seeds a throwaway database (as benchmarks/nearby.py does: a SQLite file under var/, or beside DATABASE_URL
on PostgreSQL) with listings spread over Cameroon in five time zones, each offering two or three of ten
services, and prints the median and 95th percentile latency of the first page through the HTTP API.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardoc.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from benchmarks.nearby import CITIES, scatter, throwaway_database, timed  # noqa: E402 (same database, timing)
from directory.models import Mechanic, MechanicService, Service  # noqa: E402
from directory.services import mechanics_refresh_services_text  # noqa: E402

ZONES = ["Africa/Douala", "Africa/Lagos", "Africa/Nairobi", "Europe/Paris", "America/New_York"]
SERVICES = [
    "Water pump replacement",
    "Oil change",
    "Brake pads",
    "Battery replacement",
    "Clutch repair",
    "Tyre fitting",
    "Wheel alignment",
    "Air conditioning",
    "Diagnostics scan",
    "Timing belt",
]
HOURS = [
    {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    {day: [["08:00", "12:00"], ["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
    {"fri": [["18:00", "02:00"]], "sat": [["09:00", "13:00"]]},
]


def seed(rows: int) -> float:
    rng = random.Random(20261201)
    started = time.perf_counter()
    services = [
        Service.objects.create(name=name, category="maintenance", cost_min=1000, cost_max=900000) for name in SERVICES
    ]
    mechanics = [
        Mechanic(
            business_name=f"Garage {rng.choice(['Étoile', 'Auto', 'Moteur', 'Express', 'Plus'])} {index:06d}",
            address=f"{index} rue {rng.choice(['Kennedy', 'Bastos', 'Akwa', 'Bonapriso'])}",
            latitude=lat,
            longitude=lng,
            time_zone=ZONES[index % len(ZONES)],
            working_hours=HOURS[index % len(HOURS)],
            rating=round(rng.uniform(0, 5), 2),
            rating_count=rng.randint(0, 80),
        )
        for index, (lat, lng) in enumerate(scatter(rng, rows))
    ]
    Mechanic.objects.bulk_create(mechanics, batch_size=2000)
    offers = [
        MechanicService(mechanic=mechanic, service=service, price=rng.randint(5, 200) * 1000)
        for mechanic in mechanics
        for service in rng.sample(services, rng.randint(2, 3))
    ]
    MechanicService.objects.bulk_create(offers, batch_size=5000)
    mechanics_refresh_services_text(mechanic_ids=[mechanic.pk for mechanic in mechanics])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    args = parser.parse_args()

    setup_test_environment(debug=False)
    original = throwaway_database()
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), throwaway")
        print(f"seeded {args.rows:,} listings with their services in {seed(args.rows):.1f} s")
        api = APIClient()
        api.force_authenticate(User.objects.create_user("benchmark@example.com"))
        near = "{},{}".format(*CITIES["Yaoundé"])
        scenarios = [
            ("open now (5 zones)", {"open_now": "true"}),
            ("search 'water pump'", {"search": "water pump"}),
            ("search 'etoile kennedy'", {"search": "etoile kennedy"}),
            ("near 10 km, rating", {"near": near, "radius_km": 10, "ordering": "rating"}),
            (
                "the done-means query",
                {
                    "near": near,
                    "radius_km": 10,
                    "open_at": "sat",
                    "service": "Water pump replacement",
                    "ordering": "rating",
                },
            ),
            ("service by price", {"service": "Oil change", "ordering": "price"}),
        ]
        figures: dict[str, dict[str, float]] = {}
        print(f"\n{'scenario':<26}{'found':>8}{'API p50':>10}{'p95':>9}")
        for label, params in scenarios:
            response = api.get("/api/v1/mechanics", params)
            assert response.status_code == 200, response.content
            found = response.json()["count"]

            def http(params: dict = params) -> object:
                return api.get("/api/v1/mechanics", params)

            p50, p95 = timed(http, args.repeats)
            print(f"{label:<26}{found:>8,}{p50:>8.1f}ms{p95:>7.1f}ms")
            figures[label] = {"api_p50_ms": round(p50, 2), "api_p95_ms": round(p95, 2), "found": found}
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory of this process: {peak_mib:.0f} MiB")
        if args.json:
            print(json.dumps({connection.vendor: figures}))
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


if __name__ == "__main__":
    main()
