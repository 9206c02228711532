"""Logging: one line per request with its id, JSON in production and text in development.

Every log line written while a request is served carries that request's id (from a valid incoming
``X-Request-ID``, else a new one), so a proxy's access log, our request line and any error it caused can
be joined. The id goes back to the client in ``X-Request-ID``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
user_id: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="")

# What we accept from a proxy: short and plain, so a client cannot forge log lines through it.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
request_logger = logging.getLogger("cardoc.request")


class RequestContextFilter(logging.Filter):
    """Adds the current request's id and user id to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user_id = user_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers; the extra fields of a record are kept."""

    RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            {key: value for key, value in vars(record).items() if key not in self.RESERVED and value not in ("", None)}
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RequestLogMiddleware:
    """Logs one line per request: method, path, status, duration and who asked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        rid_token, user_token = request_id.set(rid), user_id.set("")
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_id.set(str(user.pk))
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            request_logger.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            response["X-Request-ID"] = rid
            return response
        finally:
            request_id.reset(rid_token)
            user_id.reset(user_token)
