from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.static import serve

from cardoc.exceptions import error_body


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers; reveals nothing else."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The landing page at ``/``: what CarDoc does, and where developers, mechanics and staff go."""
    return render(request, "cardoc/home.html")


# No state changes here, and an API client sends no CSRF token: a POST to a wrong path must get this 404,
# not the CSRF middleware's 403 page.
@csrf_exempt
def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any ``/api/`` path no route matched: the API's JSON error shape, in development too.

    Django's own 404 handler only runs with DEBUG off, so without this a developer's app would get the
    debug HTML page. A path that only lacks its trailing slash is redirected, as CommonMiddleware would.
    """
    if request.method in {"GET", "HEAD"} and not request.path.endswith("/"):
        with_slash = f"{request.path_info}/"
        try:
            match = resolve(with_slash, getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.url_name != "api-not-found":
            return HttpResponsePermanentRedirect(f"{request.path}/")
    body = error_body("not_found", _("No API endpoint at this address. The reference is at /api/docs/."))
    return JsonResponse(body, status=HTTPStatus.NOT_FOUND)


def public_media(request: HttpRequest, path: str) -> HttpResponse:
    """A public file under MEDIA_ROOT (catalog icons, garage photos), read from the setting at request time."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
