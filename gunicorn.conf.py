"""gunicorn settings for production: ``gunicorn cardoc.wsgi`` (run from this folder) reads this file.

Every value can be changed from the environment, so one image serves any machine size.
"""

from __future__ import annotations

import os

# Where to listen. Behind a reverse proxy, a local port; set TRUSTED_PROXY_COUNT for the app as well.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Processes: about one per core. Each is a full Django process, so memory, not CPU, usually sets the cap.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))

# Threads per process: a diagnostic upload with ?wait=N holds its thread for up to N seconds (30 at most)
# while the worker analyses, so threads keep the other requests moving. workers x threads is how many
# requests are served at once; size it for the ?wait calls you expect plus ordinary traffic.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))

# Longer than the longest legitimate request (?wait is capped at 30 s), shorter than a proxy's timeout.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# On SIGTERM (a deploy), requests in flight get this long to finish before the process is stopped.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5

# Recycle each process after a number of requests, so a slow leak never grows without bound; the jitter
# keeps the processes from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500

# Import the app once in the master, so the processes share its memory (Django, DRF, the catalog code)
# copy-on-write. Safe here: nothing opens a database connection at import time.
preload_app = True

# The app writes one line per request itself (cardoc.logs), with its request id; gunicorn's own access
# log would repeat it. Errors still go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Trust X-Forwarded-* only from the proxy in front of us (a comma-separated list of its addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
