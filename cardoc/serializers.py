"""Serializer pieces every app's API shares: strict input and the documented error shape."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from cardoc.text import control_character_error

UNKNOWN_FIELD = _("Unknown field.")
READ_ONLY_FIELD = _("This field is read-only.")


class StrictFieldsMixin:
    """Reject input keys the serializer does not accept, naming each one.

    DRF silently drops unknown keys, so a client that misspells ``odometer_km`` gets a 200 and nothing
    saved. With this mixin first in the bases, such a request is a 400 ``validation_error`` naming the key;
    a read-only field sent back is refused too, with a message saying so. Nested serializers that use the
    mixin check their own level. Text that carries control or invisible formatting characters (a
    right-to-left override in a name, say) is refused too, naming the character.
    """

    def to_internal_value(self, data: Any) -> Any:
        extra = {**self._extra_field_errors(data), **self._control_character_errors(data)}
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if extra and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**extra, **exc.detail}) from exc
            raise
        if extra:
            raise serializers.ValidationError(extra)
        return value

    def _control_character_errors(self, data: Any) -> dict[str, list[str]]:
        # Text fields only, passwords aside: any character is fair in a password, and it is never shown.
        if not isinstance(data, Mapping):
            return {}
        fields = self.fields  # type: ignore[attr-defined]
        errors: dict[str, list[str]] = {}
        for key, raw in data.items():
            field = fields.get(key)
            is_text = isinstance(field, serializers.CharField) and not field.write_only
            if is_text and isinstance(raw, str) and (message := control_character_error(raw)):
                errors[str(key)] = [message]
        return errors

    def _extra_field_errors(self, data: Any) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            # Not an object at all: DRF's own "expected a dictionary" error says it better.
            return {}
        fields = self.fields  # type: ignore[attr-defined]
        errors: dict[str, list[str]] = {}
        for key in data:
            field = fields.get(key)
            if field is None or isinstance(field, serializers.HiddenField):
                errors[str(key)] = [UNKNOWN_FIELD]
            elif field.read_only:
                errors[str(key)] = [READ_ONLY_FIELD]
        return errors


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. validation_error, not_found.")
    message = serializers.CharField(help_text="A sentence for humans; the first problem when there are several.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For validation errors: each offending field with its messages. Empty otherwise.",
    )


class ErrorSerializer(serializers.Serializer):
    """The one shape of every failure the API returns."""

    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    HTTPStatus.BAD_REQUEST: (
        "Invalid input: `validation_error` names the fields (a bad `page` or `cursor` included); `parse_error` "
        "for malformed JSON; `too_many_fields` or `too_many_files` for an oversized form."
    ),
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The request body is over the size limit (`request_too_large`).",
    HTTPStatus.SERVICE_UNAVAILABLE: "The database is briefly unreachable; `Retry-After` says when to retry.",
    HTTPStatus.UNAUTHORIZED: "Missing, invalid or revoked credentials, or an account that is not active.",
    HTTPStatus.FORBIDDEN: "Signed in, but this role may not do this.",
    HTTPStatus.NOT_FOUND: "No such object among the caller's own.",
    HTTPStatus.CONFLICT: "The request clashes with the object's current state.",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not in a content type this endpoint accepts.",
    HTTPStatus.TOO_MANY_REQUESTS: "Too many attempts; the `Retry-After` header says when to try again.",
}


def error_responses(*statuses: HTTPStatus | int) -> dict[int, OpenApiResponse]:
    """The ``responses`` entries of ``extend_schema`` for the given error statuses, all in the one shape."""
    codes = [HTTPStatus(code) for code in statuses]
    return {
        int(code): OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(code, code.phrase))
        for code in codes
    }
