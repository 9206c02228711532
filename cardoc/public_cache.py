"""Public API reads that cost almost nothing: the catalog, tutorials and services.

They are the same for every visitor and change only when staff edit them, so each page is rendered once per
content version and language, kept in a per-process cache, and answered with an ``ETag`` (304 on
``If-None-Match``). The version lives in the database (``ContentVersion``), so an edit made through any
process, the admin included, makes every process's copy stale on its next request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from cardoc.models import ContentScope, ContentVersion
from cardoc.services import content_version_bump

PAGE_CACHE = "public_pages"


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    content_type: str
    etag: str


def content_version(scope: str = ContentScope.CATALOG) -> int:
    return ContentVersion.objects.filter(scope=scope).values_list("version", flat=True).first() or 0


def content_changed(sender: type, **kwargs: Any) -> None:
    """Signal receiver for every model behind a public page (saved, deleted, or its links changed).

    Admin edits do not go through our services, so a signal is the one place that sees them all.
    """
    if kwargs.get("raw"):  # fixtures being loaded: the rows are not live content yet
        return
    content_version_bump(scope=ContentScope.CATALOG)


def _page_key(request: HttpRequest, scope: str, version: int) -> str:
    path = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    return f"{scope}:{version}:{translation.get_language()}:{path}"


def _matches(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
    tags = {tag.removeprefix("W/") for tag in parse_etags(header)}
    return "*" in tags or etag in tags


def _respond(request: HttpRequest, page: CachedPage) -> HttpResponse:
    response: HttpResponse = (
        HttpResponseNotModified() if _matches(request, page.etag) else HttpResponse(page.body, page.content_type)
    )
    response["ETag"] = page.etag
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_MAX_AGE}"
    response["Content-Language"] = translation.get_language() or settings.LANGUAGE_CODE
    patch_vary_headers(response, ["Accept-Language"])
    return response


class PublicCachedReadMixin:
    """For read-only viewsets of public content: readable without signing in, cached, with ETags.

    A request without credentials is answered from the cache before DRF runs at all. One with an
    ``Authorization`` header is authenticated first, so a bad token still gets 401, then served from the same
    cache. Only ``cached_actions`` are cached (a tutorial's detail counts a view, so it is not).
    """

    permission_classes = [AllowAny]
    content_scope: str = ContentScope.CATALOG
    cached_actions: frozenset[str] = frozenset({"list"})
    action_map: dict[str, str]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self._key: str | None = None
        if request.method in ("GET", "HEAD") and self.action_map.get("get") in self.cached_actions:
            self._version = content_version(self.content_scope)
            self._key = _page_key(request, self.content_scope, self._version)
            if "HTTP_AUTHORIZATION" not in request.META:
                page = caches[PAGE_CACHE].get(self._key)
                if page is not None:
                    return _respond(request, page)
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response

    def list(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        parent = super().list  # type: ignore[misc]
        return self._cached(request, lambda: parent(request, *args, **kwargs))

    def _cached(self, request: Request, render: Callable[[], Response]) -> HttpResponseBase:
        if self._key is None:  # not a cached action
            return render()
        cache = caches[PAGE_CACHE]
        # Keyed again now that DRF has authenticated the caller: a signed-in driver's profile may have chosen a
        # language other than the one Accept-Language negotiated before dispatch (accounts.language).
        self._key = _page_key(request, self.content_scope, self._version)
        page = cache.get(self._key)
        if page is None:
            response = render()
            if response.status_code != 200:
                return response
            # Render now with the negotiated renderer, so the cache holds bytes and a hit costs no serializing.
            self.finalize_response(request, response)  # type: ignore[attr-defined]
            response.render()
            digest = hashlib.blake2b(response.content, digest_size=16).hexdigest()
            page = CachedPage(body=response.content, content_type=response["Content-Type"], etag=f'"{digest}"')
            cache.set(self._key, page)
        return _respond(request, page)


def watch_public_content(*models: str) -> None:
    """Bump the content version whenever one of ``models`` ("app_label.Model") is saved, deleted or relinked."""
    for model in models:
        post_save.connect(content_changed, sender=model, dispatch_uid=f"public-content-save-{model}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"public-content-delete-{model}")
        m2m_changed.connect(content_changed, sender=model, dispatch_uid=f"public-content-links-{model}")


class PublicCachedDetailMixin(PublicCachedReadMixin):
    """The same for a viewset whose details are cached too. Apart, because DRF routes an action for every
    method a viewset has: a ``retrieve`` here on a list-only viewset would route to nothing."""

    cached_actions: frozenset[str] = frozenset({"list", "retrieve"})

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        parent = super().retrieve  # type: ignore[misc]
        return self._cached(request, lambda: parent(request, *args, **kwargs))
