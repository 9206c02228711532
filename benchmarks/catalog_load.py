"""Catalog reads under load: gunicorn with 2 workers, driven by wrk at 50 connections, beside /health/.

    python benchmarks/catalog_load.py [--seconds 10] [--connections 50] [--workers 2] [--json]

It migrates and seeds a throwaway SQLite database under var/ (or uses DATABASE_URL as it is, after
``migrate`` and ``load_catalog``), starts ``gunicorn cardoc.wsgi`` on a free local port, warms each URL
once, then runs wrk (Debian's ``wrk`` package) against each URL in turn. ``/health/`` is the stack's
floor (Django, one ``SELECT 1``); the catalog pages are reported as a ratio to it. With ``--json`` the
last line is one JSON object: ``{"catalog_rps", "catalog_p99_ms", "health_rps", "ratio"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URLS = {
    "health": "/health/",
    "catalog": "/api/v1/warning-lights",
    "catalog_search": "/api/v1/warning-lights?search=brake",
    "light_detail": "/api/v1/warning-lights/abs",
}
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * UNITS_MS[unit]


def run_wrk(url: str, *, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "--latency", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored to the start of a line: the thread table above it may end in a share such as "62.50%".
    p50 = to_ms(re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": float(errors.group(1)) if errors else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "benchmark-only-" + "x" * 40, "LOG_LEVEL": "WARNING"}
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["SECURE_SSL_REDIRECT"] = "false"
    if "DATABASE_URL" not in os.environ:
        database = ROOT / "var" / "benchmark_catalog.sqlite3"
        database.parent.mkdir(exist_ok=True)
        database.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    python = sys.executable
    for command in (["migrate", "--noinput"], ["load_catalog"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)

    port = free_port()
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "cardoc.wsgi", f"--workers={args.workers}", f"--bind=127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + URLS["health"], timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        for path in URLS.values():  # fill both workers' caches before measuring
            for _ in range(args.workers * 4):
                urllib.request.urlopen(base + path, timeout=5)
        results = {
            name: run_wrk(base + path, seconds=args.seconds, connections=args.connections)
            for name, path in URLS.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=30)

    health = results["health"]["rps"]
    print(
        f"gunicorn, {args.workers} workers; wrk, {args.connections} connections for {args.seconds} s each; "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'url':40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs health':>10} {'non-2xx':>8}")
    for name, path in URLS.items():
        row = results[name]
        print(
            f"{path:40} {row['rps']:8.0f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
            f"{row['rps'] / health:10.2f} {row['non_2xx']:8.0f}"
        )
    if args.json:
        catalog = results["catalog"]
        print(
            json.dumps(
                {
                    "catalog_rps": round(catalog["rps"], 1),
                    "catalog_p99_ms": round(catalog["p99_ms"], 2),
                    "health_rps": round(health, 1),
                    "ratio": round(catalog["rps"] / health, 3),
                }
            )
        )


if __name__ == "__main__":
    main()
