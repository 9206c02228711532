"""The one error shape of the API: ``{"error": {"code", "message", "fields"}}``.

Services raise Django's ``ValidationError`` or a ``DomainError``; views never build error bodies by hand.
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found, server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

if TYPE_CHECKING:
    # A message may be a lazy translation: DRF's and Django's JSON encoders render it in the request's language.
    from django.utils.functional import _StrOrPromise as StrOrPromise

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain that the request broke; subclasses choose the HTTP status."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

    def __init__(self, message: StrOrPromise, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ConflictError(DomainError):
    """The request is valid but clashes with the object's current state (e.g. analysis running)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class AuthenticationError(DomainError):
    """Credentials or a token the service refused: wrong password, revoked token, account not active."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "authentication_failed"

    # RFC 9110 requires a challenge on every 401; the API's only scheme is a bearer JWT.
    www_authenticate = 'Bearer realm="api"'


class StorageQuotaExceededError(DomainError):
    """The upload would take the account over its storage quota (USER_STORAGE_QUOTA_MB)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "storage_quota_exceeded"


# How long a client should wait before retrying while the database is unreachable.
RETRY_AFTER_OUTAGE_SECONDS = 30
DATABASE_DOWN = _("The service is briefly unavailable. Please try again shortly.")


class TooManyAttemptsError(DomainError):
    """Locked out for a while after repeated failures; ``retry_after`` says for how long, in seconds."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "locked_out"

    def __init__(self, message: StrOrPromise, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, math.ceil(retry_after))


def error_body(code: str, message: StrOrPromise, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _messages(detail: Any, path: str = "") -> list[str]:
    """A nested error (a list of items, an object inside an object) as flat strings, each led by its path
    ("0.id: Must be a valid UUID."), so every field of the error shape stays a list of strings."""
    if isinstance(detail, dict):
        return [m for key, value in detail.items() for m in _messages(value, f"{path}.{key}" if path else str(key))]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [f"{path}: {item}" if path else str(item) for item in detail]
        return [
            m for index, item in enumerate(detail) for m in _messages(item, f"{path}.{index}" if path else str(index))
        ]
    return [f"{path}: {detail}" if path else str(detail)]


def _flat_fields(detail: dict[str, Any]) -> dict[str, Any]:
    return {key: _messages(value) for key, value in detail.items()}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every failure, including the unexpected ones, leaves in the one shape."""
    hostile = _hostile_request_response(exc)
    if hostile is not None:
        return hostile
    if isinstance(exc, OperationalError | InterfaceError):
        return _outage_response(exc, Response)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DomainError):
        response = Response(error_body(exc.code, exc.message), status=exc.status_code)
        if isinstance(exc, AuthenticationError):
            response["WWW-Authenticate"] = exc.www_authenticate
        if isinstance(exc, TooManyAttemptsError):
            response["Retry-After"] = str(exc.retry_after)
        return response
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view"), exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side. Please try again later.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first = _first_message(detail)
        response.data = error_body("validation_error", first or _("Invalid input."), _flat_fields(detail))
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
        elif isinstance(exc.detail, dict) and "code" in exc.detail:
            # simplejwt puts its precise code (token_not_valid, user_inactive...) inside a detail dict.
            code = exc.detail["code"]
        else:
            code = exc.default_code
        response.data = error_body(str(code), _first_message(exc.detail))
    return response


def _hostile_request_response(exc: Exception) -> Response | None:
    """Django's own guards on request size raise SuspiciousOperation subclasses; each is the client's fault."""
    if isinstance(exc, RequestDataTooBig):
        message = _("The request body is too large.")
        return Response(error_body("request_too_large", message), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        message = _("The request has too many form fields.")
        return Response(error_body("too_many_fields", message), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFilesSent):
        message = _("The request has too many files.")
        return Response(error_body("too_many_files", message), status=status.HTTP_400_BAD_REQUEST)
    return None


def _outage_response(exc: Exception, response_class: type[Any]) -> Any:
    # Logged once, without the traceback: an outage produces thousands of these and the cause is not here.
    logger.error("Database unavailable: %s", exc)
    body = error_body("service_unavailable", DATABASE_DOWN)
    if response_class is JsonResponse:
        response = JsonResponse(body, status=HTTPStatus.SERVICE_UNAVAILABLE)
    else:
        response = response_class(body, status=HTTPStatus.SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER_OUTAGE_SECONDS)
    return response


def database_outage_response(exc: Exception) -> JsonResponse:
    """A 503 in the one shape with ``Retry-After``, for code outside DRF (middleware, plain views)."""
    return _outage_response(exc, JsonResponse)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON for the API, the normal page elsewhere."""
    if _wants_json(request):
        body = error_body("not_found", _("Not found."))
        return JsonResponse(body, status=HTTPStatus.NOT_FOUND)
    return page_not_found(request, exception)


def server_error_view(request: HttpRequest) -> HttpResponse:
    """handler500: never leaks a traceback, on the API or off it."""
    if _wants_json(request):
        body = error_body("server_error", _("Something went wrong on our side. Please try again later."))
        return JsonResponse(body, status=HTTPStatus.INTERNAL_SERVER_ERROR)
    return server_error(request)
