from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from cardoc.exceptions import database_outage_response


class TrustedProxyMiddleware:
    """Resolve the client's address once, so everything downstream can read ``REMOTE_ADDR``.

    With ``TRUSTED_PROXY_COUNT = n`` the n-th address from the right of X-Forwarded-For is the one our own
    proxies saw; anything to its left was written by the client and is ignored. With no trusted proxy
    the header is dropped, because django-auditlog (and any other reader) would otherwise trust it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Read per request (an attribute lookup), so tests and a settings override see the current value.
        proxy_count = settings.TRUSTED_PROXY_COUNT
        forwarded = request.META.pop("HTTP_X_FORWARDED_FOR", "")
        if proxy_count and forwarded:
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            if len(hops) >= proxy_count:
                request.META["REMOTE_ADDR"] = hops[-proxy_count]
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's IP address, already resolved by TrustedProxyMiddleware."""
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]


class DatabaseOutageMiddleware:
    """Answer 503 with ``Retry-After`` when the database cannot be reached, outside DRF as well.

    DRF's exception handler covers API views; this covers plain views (health, the mechanics' pages, the
    admin), which would otherwise end in a 500 that load balancers and clients read as a bug.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            return database_outage_response(exception)
        return None
