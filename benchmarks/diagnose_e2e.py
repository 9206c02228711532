"""End to end: from POST /api/v1/diagnostics to the completed result, through a real server and worker.

Starts gunicorn and a django-q2 cluster on a throwaway database (PostgreSQL when DATABASE_URL points at
one: a `<name>_bench` database is created beside it and dropped afterwards; SQLite under var/bench/
otherwise), migrates, loads the catalog and the bundled models, signs a driver in, then measures:

1. single diagnostics on an idle machine, one after another (target: p95 < 1 s);
2. several concurrent clients sending a mix of dashboard photos and engine recordings.

Latency is measured by the client from just before the POST to the answer of `POST ...?wait=30`, which the
server holds until the analysis has completed. Run: .venv/bin/python benchmarks/diagnose_e2e.py [--help]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.symbols import COLOUR_RGB, STANDARD_COLOURS, render_symbol  # noqa: E402 - Pillow only, no Django set-up needed
from samples.make_samples import idle_hum_wav  # noqa: E402 - the README sample's own generator

BENCH_DIR = ROOT / "var" / "bench"
ENGINE_DATA = Path("/work/shared/data/engine")
PYTHON = sys.executable
LIGHTS = ("oil_pressure", "battery")
KINDS = ("dashboard_scan", "engine_sound")
SEED_CODES = (*LIGHTS, "water_pump", "normal_idle", "alternator", "idler_pulley", "ac_compressor", "worn_bearing")


# --- Media ------------------------------------------------------------------------------------------


def dashboard_photo(seed: int) -> bytes:
    """A 1280x960 dark cluster with a lit oil-pressure and battery light, as a phone JPEG."""
    rng = random.Random(seed)
    panel = Image.new("RGB", (1280, 960), (14, 16, 20))
    for i, code in enumerate(LIGHTS):
        symbol = render_symbol(code, size=120, colour=COLOUR_RGB[STANDARD_COLOURS[code]])
        panel.paste(symbol, (380 + i * 300 + rng.randint(-30, 30), 400 + rng.randint(-40, 40)), symbol)
    buffer = io.BytesIO()
    panel.filter(ImageFilter.GaussianBlur(0.8)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def engine_recording(seed: int) -> bytes:
    """A real water-pump chunk when the development data is present, else 3 s of synthetic idle."""
    chunks = sorted((ENGINE_DATA / "water_pump").glob("*.wav")) if ENGINE_DATA.is_dir() else []
    if chunks:
        return chunks[seed % len(chunks)].read_bytes()
    return idle_hum_wav(3, seed=seed)


# --- HTTP -------------------------------------------------------------------------------------------


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.extend([head.encode(), data, b"\r\n"])
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def diagnose(base: str, token: str, kind: str, seed: int) -> tuple[float, dict[str, Any]]:
    """POST one diagnostic and wait for it; returns (seconds from POST to completed result, body)."""
    if kind == "dashboard_scan":
        files = {"image": ("dashboard.jpg", dashboard_photo(seed), "image/jpeg")}
    else:
        files = {"audio": ("engine.wav", engine_recording(seed), "audio/wav")}
    body, content_type = multipart({"diagnostic_type": kind, "client_ref": str(uuid.uuid4())}, files)
    request = urllib.request.Request(
        f"{base}/api/v1/diagnostics?wait=30",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    elapsed = time.perf_counter() - started
    if answer["status"] != "completed":
        raise RuntimeError(f"diagnostic {answer['id']} ended {answer['status']}: {answer['error_message']}")
    return elapsed, answer


# --- Processes --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_database() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parsed = urlparse(url)
        name = f"{parsed.path.lstrip('/') or 'cardoc'}_bench"
        admin = urlunparse(parsed._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunparse(parsed._replace(path=f"/{name}"))
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / "bench.sqlite3"
    for stale in BENCH_DIR.glob("bench.sqlite3*"):
        stale.unlink()
    yield f"sqlite:///{path}"


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=capture, text=True
    )
    return result.stdout if capture else ""


SETUP_SCRIPT = """
import json
from django.core.management import call_command, get_commands
from catalog.models import EngineSound, WarningLight
from accounts.models import User
from rest_framework_simplejwt.tokens import RefreshToken

if "load_catalog" in get_commands():
    call_command("load_catalog", verbosity=0)
else:
    seed = json.load(open("catalog/seed/catalog.json"))
    codes = set(%(codes)r)
    for row in seed["warning_lights"]:
        if row["code"] in codes:
            WarningLight.objects.update_or_create(code=row["code"], defaults=row)
    for row in seed["engine_sounds"]:
        if row["code"] in codes:
            EngineSound.objects.update_or_create(code=row["code"], defaults=row)
call_command("load_models", verbosity=0)
user, _ = User.objects.get_or_create(email="bench.driver@example.com")
print("TOKEN", RefreshToken.for_user(user).access_token)
"""


@contextmanager
def running(env: dict[str, str], port: int, workers: int) -> Iterator[None]:
    logs = BENCH_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes = []
    with (logs / "gunicorn.log").open("w") as web_log, (logs / "qcluster.log").open("w") as worker_log:
        processes.append(
            subprocess.Popen(
                [
                    PYTHON, "-m", "gunicorn", "cardoc.wsgi", "--bind", f"127.0.0.1:{port}",
                    "--workers", "2", "--threads", "8", "--worker-class", "gthread", "--timeout", "60",
                ],
                cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        processes.append(
            subprocess.Popen(
                [PYTHON, "manage.py", "qcluster"],
                cwd=ROOT,
                env={**env, "Q_WORKERS": str(workers)},
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                with suppress(OSError):
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2).close()
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {logs}")
                time.sleep(0.3)
            yield
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


# --- Measurements -----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


# Each report's headline figures, for --json.
FIGURES: dict[str, dict[str, float]] = {}


def report(label: str, seconds: list[float], wall: float | None = None) -> None:
    line = (
        f"{label:<44} n={len(seconds):<4} p50={statistics.median(seconds) * 1000:7.0f} ms"
        f"  p95={percentile(seconds, 0.95) * 1000:7.0f} ms  max={max(seconds) * 1000:7.0f} ms"
    )
    if wall is not None:
        line += f"  throughput={len(seconds) / wall * 60:6.0f}/min"
    print(line, flush=True)
    FIGURES[label] = {"p50_ms": round(statistics.median(seconds) * 1000, 1), "n": len(seconds)}
    if wall is not None:
        FIGURES[label]["per_minute"] = round(len(seconds) / wall * 60, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", type=int, default=20, help="sequential diagnostics of each kind (idle)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=60, help="diagnostics sent by the concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="django-q2 worker processes")
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS, help="which diagnostic types to send")
    args = parser.parse_args()

    with throwaway_database() as database_url:
        engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        env = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": database_url,
            "CARDOC_VAR_DIR": str(BENCH_DIR),
            "TASKS_SYNC": "false",
            "JWT_ACCESS_MINUTES": "240",
            "LOG_LEVEL": "WARNING",
        }
        print(f"database: {engine}; {os.cpu_count()} CPUs; {args.workers} worker processes", flush=True)
        manage(env, "migrate", "--noinput", "-v", "0")
        output = manage(env, "shell", "-c", SETUP_SCRIPT % {"codes": SEED_CODES}, capture=True)
        token = next(line.split()[1] for line in output.splitlines() if line.startswith("TOKEN "))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(env, port, args.workers):
            # The first run of each kind loads its model into a worker: report it, do not mix it in.
            for kind in args.kinds * 2:
                cold, _ = diagnose(base, token, kind, 0)
                print(f"warm-up {kind:<36} {cold * 1000:7.0f} ms", flush=True)

            sample: dict[str, Any] = {}
            for kind in args.kinds:
                seconds = []
                for i in range(args.single):
                    elapsed, sample[kind] = diagnose(base, token, kind, i)
                    seconds.append(elapsed)
                report(f"single {kind}, idle (POST -> completed)", seconds)
            for kind, answer in sample.items():
                found = [f"{d['entry']['code']} {d['confidence']:.2f}" for d in answer["result"]["detections"]]
                print(f"  last {kind}: urgency {answer['result']['urgency']}; found {found or 'nothing'}")

            results: list[float] = []
            failures: list[str] = []
            lock = threading.Lock()
            counter = iter(range(args.requests))

            def client() -> None:
                for i in counter:
                    kind = args.kinds[i % len(args.kinds)]
                    try:
                        elapsed, _ = diagnose(base, token, kind, i)
                    except (RuntimeError, urllib.error.URLError, TimeoutError) as exc:
                        with lock:
                            failures.append(str(exc))
                        continue
                    with lock:
                        results.append(elapsed)

            started = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            report(f"{args.clients} concurrent clients, mixed", results, wall)
            if failures:
                print(f"  {len(failures)} failed, e.g. {failures[0]}")
    if not os.environ.get("KEEP_BENCH"):
        shutil.rmtree(BENCH_DIR / "private", ignore_errors=True)
    if args.json:
        print(json.dumps(FIGURES))


if __name__ == "__main__":
    main()
