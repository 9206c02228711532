from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from django.views.static import serve


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers; reveals nothing else."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def public_media(request: HttpRequest, path: str) -> HttpResponse:
    """A public file under MEDIA_ROOT (catalog icons, garage photos), read from the setting at request time."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
