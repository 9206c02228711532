"""Offline phones against the sync API: many drivers, two devices each, rounds of offline edits, retried pushes.

    python benchmarks/sync_soak.py [--drivers 5] [--rounds 5] [--edits 8] [--seed 1] [--json]

Runs in-process (DRF's test client, the whole middleware stack, no server) on a throwaway SQLite database
under var/, or on DATABASE_URL as it is (migrated first). In every round each device of each driver goes
offline, makes random edits (new cars and jobs, edits, deletions, some on the same job as the other
device; a review of the driver's garage, which both devices may write, and notifications marked read,
often the same one on both), comes back, pushes its outbox twice (the first answer is "lost") and pulls
the feed to the end; at the end every device pulls once more. It then checks that both devices of a
driver hold identical data, equal to the server's, with no duplicate and no lost change, and prints push
and pull figures. With ``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OWNED = ("vehicle", "maintenance", "review", "notification")
NOTIFICATIONS_PER_DRIVER = 4


@dataclass
class Phone:
    """One device's offline copy: objects by (type, id) with their versions, a feed cursor and an outbox."""

    client: Any
    name: str
    store: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    cursor: str = ""
    outbox: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    pushed_ops: int = 0
    pulled_entries: int = 0

    # Offline edits: applied to the local copy at once, queued for the server.
    def create(self, kind: str, data: dict[str, Any]) -> str:
        object_id = str(uuid.uuid4())
        self.store[(kind, object_id)] = {**data, "id": object_id}
        self.outbox.append({"op": "create", "type": kind, "id": object_id, "data": data})
        return object_id

    def update(self, kind: str, object_id: str, changes: dict[str, Any]) -> None:
        self.store[(kind, object_id)].update(changes)
        pending = self._pending(kind, object_id)
        if pending is not None:  # one operation per object in the outbox, as apps coalesce them
            pending["data"] = {**pending["data"], **changes}
            return
        base = self.versions.get((kind, object_id), 0)
        self.outbox.append({"op": "update", "type": kind, "id": object_id, "base_version": base, "data": changes})

    def delete(self, kind: str, object_id: str) -> None:
        self.store.pop((kind, object_id), None)
        pending = self._pending(kind, object_id)
        if pending is not None:
            self.outbox.remove(pending)
            if pending["op"] == "create":
                return  # the server never heard of it
        base = self.versions.get((kind, object_id), 0)
        self.outbox.append({"op": "delete", "type": kind, "id": object_id, "base_version": base})

    def _pending(self, kind: str, object_id: str) -> dict[str, Any] | None:
        return next((op for op in self.outbox if (op["type"], op["id"]) == (kind, object_id)), None)

    def owned(self, kind: str) -> list[str]:
        return sorted(object_id for (k, object_id) in self.store if k == kind)

    # Back online.
    def push(self, *, lose_first_answer: bool = True) -> list[dict[str, Any]]:
        if not self.outbox:
            return []
        body = {"operations": self.outbox}
        if lose_first_answer:
            self._post_push(body)  # applied on the server, but the answer never reaches the phone
        results = self._post_push(body)
        for op, result in zip(self.outbox, results, strict=True):
            key = (op["type"], op["id"])
            if result["status"] == "ok":
                if result["data"] is not None:
                    self.store[key], self.versions[key] = result["data"], result["version"]
            elif result["status"] in ("conflict", "not_found"):
                # The server's copy is newer (or was deleted by the other device): it wins, and this device is told.
                self.conflicts.append(key)
                if result["data"] is None:
                    self.store.pop(key, None)
                else:
                    self.store[key], self.versions[key] = result["data"], result["version"]
            else:
                raise AssertionError(f"{self.name}: {op} was refused: {result}")
        self.pushed_ops += len(self.outbox)
        self.outbox = []
        return results

    def _post_push(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.client.post("/api/v1/sync/push", body, format="json")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    def pull(self) -> None:
        while True:
            response = self.client.get("/api/v1/sync/changes", {"cursor": self.cursor, "limit": 200})
            assert response.status_code == 200, response.content
            page = response.json()
            for entry in page["entries"]:
                key = (entry["type"], entry["id"])
                if entry["deleted"]:
                    self.store.pop(key, None)
                    self.versions.pop(key, None)
                else:
                    self.store[key], self.versions[key] = entry["data"], entry["version"]
            self.pulled_entries += len(page["entries"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return

    def snapshot(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {key: value for key, value in self.store.items() if key[0] in OWNED}


def offline_edits(phone: Phone, rng: random.Random, edits: int, shared_job: str | None, garage: str) -> None:
    """A realistic mix: new cars and jobs (a job on a car made offline too), edits, deletions, a review of the
    driver's garage (one per driver: the other device's may win), notifications read."""
    for _ in range(edits):
        cars, jobs = phone.owned("vehicle"), phone.owned("maintenance")
        unread = [key[1] for key, row in phone.store.items() if key[0] == "notification" and not row["is_read"]]
        roll = rng.random()
        if unread and rng.random() < 0.15:
            # Lowest id first, so the two devices often read the same one while both are offline.
            phone.update("notification", min(unread), {"is_read": True})
        elif rng.random() < 0.08:
            reviews = phone.owned("review")
            if reviews:
                phone.update("review", reviews[0], {"rating": rng.randint(1, 5)})
            else:
                phone.create("review", {"mechanic": garage, "rating": rng.randint(1, 5), "comment": phone.name})
        elif roll < 0.25 or not cars:
            phone.create("vehicle", {"make": "Toyota", "model": rng.choice(["Corolla", "Yaris"]), "year": 2015})
        elif roll < 0.5:
            job = {"maintenance_type": "scheduled", "title": "Oil change", "scheduled_date": "2031-01-15"}
            phone.create("maintenance", {**job, "vehicle": rng.choice(cars)})
        elif roll < 0.75 and jobs:
            target = shared_job if shared_job in jobs else rng.choice(jobs)
            phone.update("maintenance", target, {"title": f"{phone.name} {rng.randrange(10**6)}"})
        elif roll < 0.9:
            phone.update("vehicle", rng.choice(cars), {"nickname": f"{phone.name} {rng.randrange(10**6)}"})
        elif jobs:
            victim = rng.choice([job for job in jobs if job != shared_job] or jobs)
            phone.delete("maintenance", victim)


def server_state(client: Any) -> dict[tuple[str, str], dict[str, Any]]:
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for row in client.get("/api/v1/me/reviews").json()["results"]:  # one review per driver here
        state[("review", row["id"])] = client.get(f"/api/v1/reviews/{row['id']}").json()
    lists = (("vehicle", "/api/v1/vehicles"), ("maintenance", "/api/v1/maintenance"))
    for kind, url in (*lists, ("notification", "/api/v1/notifications")):
        page: str | None = f"{url}?page_size=100"
        while page:
            body = client.get(page).json()
            rows = body["results"] if isinstance(body, dict) else body
            state.update({(kind, row["id"]): row for row in rows})
            page = body.get("next") if isinstance(body, dict) else None
    return state


def setup_django() -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one line per request would drown the figures
    if not os.environ.get("DATABASE_URL"):
        folder = Path(tempfile.mkdtemp(prefix="sync-soak-", dir=ROOT / "var"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'soak.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardoc.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--edits", type=int, default=8, help="offline edits per device per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    setup_django()

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.test.utils import override_settings
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Role, User, UserProfile
    from cardoc import rls
    from directory.models import Mechanic
    from maintenance.models import Notification

    rls.set_session_bypass(on=True)  # the script's own set-up; requests are scoped by the middleware
    rng = random.Random(args.seed)
    password = make_password("soak-password-not-used")
    throttles = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}}
    fleets: list[tuple[Phone, Phone, APIClient, str]] = []
    with override_settings(REST_FRAMEWORK=throttles, ALLOWED_HOSTS=["testserver"]):
        for n in range(args.drivers):
            email = f"soak{n}-{uuid.uuid4().hex[:8]}@example.com"
            user = User.objects.create(email=email, role=Role.CAR_USER, password=password)
            UserProfile.objects.create(user=user, full_name=f"Soak {n}")
            # A garage of the driver's own, so no other driver's review changes the rating their copy shows.
            garage = Mechanic.objects.create(
                business_name=f"Soak garage {n}", address="Rue 1, Yaoundé", latitude=3.87, longitude=11.52
            )
            for i in range(NOTIFICATIONS_PER_DRIVER):
                Notification.objects.create(user=user, kind="system", title=f"Message {i}")
            token = str(RefreshToken.for_user(user).access_token)
            clients = []
            for _ in range(3):
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
                clients.append(client)
            fleets.append((Phone(clients[0], "A"), Phone(clients[1], "B"), clients[2], str(garage.pk)))

        push_seconds = pull_seconds = 0.0
        for _ in range(args.rounds):
            for first, second, _server, garage_id in fleets:
                shared = sorted(set(first.owned("maintenance")) & set(second.owned("maintenance")))
                shared_job = rng.choice(shared) if shared else None
                offline_edits(first, rng, args.edits, shared_job, garage_id)
                offline_edits(second, rng, args.edits, shared_job, garage_id)
                for phone in (first, second):
                    started = time.perf_counter()
                    phone.push()
                    push_seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    phone.pull()
                    pull_seconds += time.perf_counter() - started
        converged, duplicates, conflicts, pushed, pulled = True, 0, 0, 0, 0
        reviews = notifications_read = 0
        conflicts_by_type: dict[str, int] = {}
        for first, second, server_client, _garage in fleets:
            for phone in (first, second):
                phone.pull()
            server = server_state(server_client)
            converged &= first.snapshot() == second.snapshot() == server
            ids = list(server)
            duplicates += len(ids) - len(set(ids))
            conflicts += len(first.conflicts) + len(second.conflicts)
            for kind, _ in first.conflicts + second.conflicts:
                conflicts_by_type[kind] = conflicts_by_type.get(kind, 0) + 1
            reviews += sum(1 for kind, _ in server if kind == "review")
            notifications_read += sum(
                1 for (kind, _), row in server.items() if kind == "notification" and row["is_read"]
            )
            pushed += first.pushed_ops + second.pushed_ops
            pulled += first.pulled_entries + second.pulled_entries

    figures = {
        "drivers": args.drivers,
        "devices": args.drivers * 2,
        "operations_pushed": pushed,
        "push_ops_per_second": round(2 * pushed / push_seconds, 1) if push_seconds else 0.0,
        "feed_entries_pulled": pulled,
        "pull_entries_per_second": round(pulled / pull_seconds, 1) if pull_seconds else 0.0,
        "conflicts_reported": conflicts,
        "conflicts_by_type": dict(sorted(conflicts_by_type.items())),
        "reviews_on_server": reviews,
        "notifications_read": notifications_read,
        "notifications": args.drivers * NOTIFICATIONS_PER_DRIVER,
        "duplicates_on_server": duplicates,
        "devices_converged": converged,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    if args.json:
        print(json.dumps(figures))
    if not converged or duplicates:
        sys.exit(1)


if __name__ == "__main__":
    main()
