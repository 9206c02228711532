from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from cardoc import rls
from cardoc.exceptions import database_outage_response
from cardoc.models import AuditAction
from cardoc.request_context import client_ip, current_request_var, is_ip, user_agent
from cardoc.services import audit_record

# client_ip and user_agent moved to cardoc.request_context (audit_record reads them, and this module writes
# audit rows); they stay importable from here for code written before.
logger = logging.getLogger(__name__)

__all__ = [
    "CurrentRequestMiddleware",
    "DatabaseOutageMiddleware",
    "RowLevelSecurityMiddleware",
    "SecurityHeadersMiddleware",
    "TrustedProxyMiddleware",
    "client_ip",
    "user_agent",
]


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
            if len(hops) >= proxy_count and is_ip(hops[-proxy_count]):
                # Only a real address: anything else would fail the audit row's inet column (a 500 at login).
                request.META["REMOTE_ADDR"] = hops[-proxy_count]
        return self.get_response(request)


class CurrentRequestMiddleware:
    """Make the request reachable by ``current_request()`` while it is served (the admin's log entries)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request_var.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request_var.reset(token)
        if _is_admin_action(request) and response.status_code < HTTPStatus.BAD_REQUEST:
            # Bulk actions (deploy, delete selected...) write no admin log entry of their own, or one
            # bulk_create that no signal sees; this row says who ran which action on how many objects.
            audit_record(
                action=AuditAction.ADMIN_ACTION,
                user=request.user,
                request=request,
                details={
                    "event": "action",
                    "action": request.POST.get("action", ""),
                    "path": request.path,
                    "selected": len(request.POST.getlist("_selected_action")),
                    "confirmed": request.POST.get("post") == "yes",
                },
            )
        return response


def _is_admin_action(request: HttpRequest) -> bool:
    return (
        request.method == "POST"
        and request.path.startswith("/admin/")
        and getattr(request, "user", None) is not None
        and request.user.is_authenticated
        and bool(request.POST.get("action"))
    )


class DatabaseOutageMiddleware:
    """Answer 503 with ``Retry-After`` when the database cannot be reached, outside DRF as well.

    DRF's exception handler covers API views; this covers plain views (health, the mechanics' pages, the
    admin), which would otherwise end in a 500 that load balancers and clients read as a bug.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            # Raised by a middleware below (the request's transaction cannot even begin).
            return database_outage_response(exc)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            return database_outage_response(exception)
        return None


class RowLevelSecurityMiddleware:
    """On PostgreSQL, scope each request's connection to its user (see cardoc.rls).

    API requests start scoped to nobody; DRF authentication then names the user. Server pages (the admin,
    the mechanics' pages) take the session's user here. The previous values come back when the request
    ends, whatever happened, so the next request on this connection (or a test's own code) is unaffected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not rls.enabled():
            return self.get_response(request)
        try:
            saved = rls.begin_request(None if request.path.startswith("/api/") else getattr(request, "user", None))
        except (OperationalError, InterfaceError) as exc:
            # Django turns a middleware's exception into a 500 before an outer middleware sees it: answer here.
            return database_outage_response(exc)
        try:
            return self.get_response(request)
        finally:
            try:
                rls.restore(saved)
            except (OperationalError, InterfaceError):
                # The connection died during the request; the next request scopes a new one from scratch.
                logger.warning("Could not restore the row-level security settings: the database is unreachable")


# Server-rendered pages (the admin, the mechanics' pages) load only their own static files: no inline
# script, no CDN. Inline style attributes stay allowed because the admin's templates use them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on server pages, and ``Cache-Control: no-store`` on personal API answers.

    An API response to a caller with credentials holds that person's data: no shared or browser cache may
    keep it. Public API answers (the catalog, signed out) and responses that set their own caching (the
    calendar feed) are left alone. The API docs page is left without CSP: Swagger UI starts from an inline
    script.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            personal = "HTTP_AUTHORIZATION" in request.META or (
                getattr(request, "user", None) is not None and request.user.is_authenticated
            )
            if personal and "Cache-Control" not in response:
                response["Cache-Control"] = "no-store"
        else:
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
