"""The request being served, and what audit rows read from it (client address, user agent)."""

from __future__ import annotations

import contextvars
import ipaddress

from django.http import HttpRequest

current_request_var: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("request", default=None)


def current_request() -> HttpRequest | None:
    """The request being served on this thread or task, for audit rows written far from the view."""
    return current_request_var.get()


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str | None:
    """The caller's IP address, already resolved by TrustedProxyMiddleware; None when it is not an address."""
    address = request.META.get("REMOTE_ADDR") or None
    return address if address is not None and is_ip(address) else None


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]
