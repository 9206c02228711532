"""WSGI entry point, used by gunicorn in production."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardoc.settings")

application = get_wsgi_application()

# Import every URLconf and view now rather than in the first request: that takes seconds (the upload
# checks pull in the ML stack), and with gunicorn's preload_app the processes then share what it loaded,
# so neither a fresh nor a recycled process makes a driver wait.
from django.urls import get_resolver  # noqa: E402 - needs the settings configured above

get_resolver().url_patterns  # noqa: B018 - the attribute access is the import
