"""The sync endpoints (``/sync/changes``, ``/sync/push``, ``/settings``) and the mixins synced viewsets use."""

from __future__ import annotations

import hashlib
import json
from http import HTTPStatus
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cardoc import sync
from cardoc.models import AppSetting
from cardoc.serializers import ErrorSerializer, StrictFieldsMixin, error_responses

FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, PUSH_MAX_OPERATIONS = 100, 500, 100

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag the object was read with: a stale one is refused with 412 instead of overwriting.",
)
# A delete takes no body, so its only bad input is an If-Match that is not one of our ETags.
BAD_IF_MATCH = {400: OpenApiResponse(ErrorSerializer, description="If-Match is not an ETag this API gave out.")}
PRECONDITION_FAILED = {
    412: OpenApiResponse(ErrorSerializer, description="If-Match names an older version: read again and merge.")
}
ID_CONFLICT = {
    409: OpenApiResponse(ErrorSerializer, description="This id was used by another object or a different body.")
}


class ClientIdField(serializers.UUIDField):
    """The id a client chose for an object it made offline; only on create, and never changed afterwards."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "Optional, on create only: a UUID the app made. Sending the same id and body again answers the "
            "stored object (200); the same id with a different body is a 409.",
        )
        super().__init__(**kwargs)


class ClientIdSerializerMixin:
    """For a synced type's serializer: accept ``id`` on create, refuse a different one on update."""

    instance: Any

    def validate_id(self, value: Any) -> Any:
        if self.instance is not None and value != self.instance.pk:
            raise serializers.ValidationError("An object's id cannot change.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # type: ignore[misc]
        if self.instance is not None:
            attrs.pop("id", None)  # the update services take no id
        return attrs


def with_etag(response: Response, *, kind: str, pk: Any) -> Response:
    """``response`` with the object's current version as its ``ETag``."""
    response["ETag"] = sync.etag(sync.version_of(kind, pk))
    return response


def created_response(made: sync.Created, body: Any) -> Response:
    """The answer to a create that may carry a client id: 201 when it made the object, 200 for a replay."""
    response = Response(body, status=HTTPStatus.CREATED if made.created else HTTPStatus.OK)
    response["ETag"] = sync.etag(made.version)
    return response


def create_as_pushed(request: Request, *, kind: str, data: dict[str, Any]) -> Response:
    """Create a ``kind`` object exactly as ``/sync/push`` would, through its registered viewset.

    For a create nested under its parent's route (a garage's reviews, a diagnostic's feedback): a post and a
    push with one client id must make one object.
    """
    source = sync.sources()[kind]
    view = source.view(request, action="create")
    made = sync.client_create(source=source, view=view, data=data)
    return created_response(made, view.get_serializer(made.instance).data)


def object_at_version(view: Any, *, kind: str) -> Any:
    """The view's object, or 412 when the request's ``If-Match`` names another version. Call in a transaction,
    so the version cannot move between the check and the write."""
    expected = sync.parse_if_match(view.request.headers.get("If-Match"))
    instance = view.get_object()
    sync.require_version(source=sync.sources()[kind], instance=instance, expected=expected)
    return instance


class SyncedViewSetMixin:
    """ETag on reads, If-Match on writes and idempotent client-id creates, for a synced type's viewset."""

    sync_kind: str
    request: Request

    def _source(self) -> sync.SyncSource:
        return sync.sources()[self.sync_kind]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        made = sync.client_create(source=self._source(), view=self, data=request.data)  # type: ignore[arg-type]
        return created_response(made, self.get_serializer(made.instance).data)  # type: ignore[attr-defined]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().retrieve(request, *args, **kwargs)  # type: ignore[misc]
        return with_etag(response, kind=self.sync_kind, pk=self.kwargs["pk"])  # type: ignore[attr-defined]

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            object_at_version(self, kind=self.sync_kind)
            response: Response = super().update(request, *args, **kwargs)  # type: ignore[misc]
            return with_etag(response, kind=self.sync_kind, pk=self.kwargs["pk"])  # type: ignore[attr-defined]

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            object_at_version(self, kind=self.sync_kind)
            response: Response = super().destroy(request, *args, **kwargs)  # type: ignore[misc]
            return response


# --- The change feed -----------------------------------------------------------------------------------


class FeedEntrySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[], help_text="The synced type: vehicle, maintenance, warning_light, ...")
    id = serializers.UUIDField()
    version = serializers.IntegerField(help_text="The object's version: its ETag, and the base of a pushed update.")
    deleted = serializers.BooleanField(help_text="A tombstone: delete the local copy. `data` is then null.")
    data = serializers.JSONField(
        allow_null=True, help_text="The object as its own endpoint returns it (GET /vehicles/{id}, ...)."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = sorted(sync.sources())  # type: ignore[attr-defined]


class FeedPageSerializer(serializers.Serializer):
    entries = FeedEntrySerializer(many=True)
    cursor = serializers.CharField(help_text="Send it back as `cursor` for the next page (opaque).")
    has_more = serializers.BooleanField(help_text="More changes wait: ask again at once with the new cursor.")


class FeedQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=64)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=FEED_MAX_LIMIT, default=FEED_DEFAULT_LIMIT)


class SyncChangesView(APIView):
    """Everything that changed for the signed-in user since a cursor: their data and the public content."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["sync"],
        summary="What changed since my cursor (my data, the catalog, tutorials, services, garages)",
        description=(
            "Oldest change first, each object once at its latest version, deletions as tombstones "
            "(`deleted: true`). Start with no cursor (a full sync), then send back the `cursor` of each "
            "answer; while `has_more` is true, ask again at once. Tombstones are kept "
            "SYNC_TOMBSTONE_RETENTION_DAYS (90 by default): an older cursor is refused with 410 "
            "`cursor_expired`, and the app then syncs again from no cursor."
        ),
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The `cursor` of the previous answer."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1 to {FEED_MAX_LIMIT} entries per page."),
        ],
        responses={
            200: FeedPageSerializer,
            **error_responses(HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED),
            410: OpenApiResponse(ErrorSerializer, description="The cursor expired: sync again from no cursor."),
        },
    )
    def get(self, request: Request) -> Response:
        query = FeedQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        page = sync.changes_since(
            request=request, cursor=query.validated_data.get("cursor"), limit=query.validated_data["limit"]
        )
        return Response(FeedPageSerializer(page).data)


# --- The batch upload ----------------------------------------------------------------------------------


class PushOperationSerializer(StrictFieldsMixin, serializers.Serializer):
    op = serializers.ChoiceField(choices=[sync.CREATE, sync.UPDATE, sync.DELETE])
    type = serializers.CharField(max_length=32, help_text="A synced type, as the feed names it.")
    id = serializers.UUIDField(help_text="The object's id; for a create, the one the app chose.")
    base_version = serializers.IntegerField(
        required=False, min_value=0, help_text="Update and delete: the version the change was made on."
    )
    data = serializers.DictField(required=False, help_text="Create and update: the fields, as the REST call takes.")


class PushSerializer(StrictFieldsMixin, serializers.Serializer):
    operations = PushOperationSerializer(many=True)

    def validate_operations(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Checked here rather than by the list's own options, whose errors would nest under non_field_errors
        # and break the error shape's flat `fields`.
        if not value:
            raise serializers.ValidationError(_("Send at least one operation."))
        if len(value) > PUSH_MAX_OPERATIONS:
            raise serializers.ValidationError(
                _("Send at most %(count)d operations in one push.") % {"count": PUSH_MAX_OPERATIONS}
            )
        return value


class PushResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    op = serializers.CharField()
    type = serializers.CharField()
    id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=[sync.OK, sync.CONFLICT, sync.INVALID, sync.NOT_FOUND, sync.FAILED_DEPENDENCY, sync.THROTTLED],
        help_text=(
            "ok: applied (or already applied: a retry); conflict: the server's version is newer (`version`, "
            "`data`: the server's copy); invalid: refused, see `error`; not_found; failed_dependency: an "
            "earlier operation it depends on failed; throttled: over the rate limit the type's REST route has "
            "(a review's create), nothing written: push it again later."
        ),
    )
    version = serializers.IntegerField(allow_null=True)
    data = serializers.JSONField(allow_null=True)
    error = serializers.JSONField(allow_null=True, help_text="The error shape's inner object, when not ok.")


class PushAnswerSerializer(serializers.Serializer):
    results = PushResultSerializer(many=True)


class SyncPushView(APIView):
    """Apply the changes a phone made offline, in order, each on its own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["sync"],
        summary="Upload the changes made offline, in order",
        description=(
            "Each operation is applied in its own transaction: one that fails changes nothing, and the others "
            "go on, except those that touch or name an object whose create failed. Creates carry the id the app chose, "
            "so pushing a batch again (after a lost answer) answers ok without duplicating anything. Updates "
            "and deletes carry `base_version`: when the server's copy is newer, the answer is a conflict with "
            "the server's version and data, and nothing is overwritten. Photos and recordings still go to "
            "POST /diagnostics with the diagnostic's `client_ref`."
        ),
        request=PushSerializer,
        responses={
            200: PushAnswerSerializer,
            **error_responses(HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED, HTTPStatus.UNSUPPORTED_MEDIA_TYPE),
        },
    )
    def post(self, request: Request) -> Response:
        payload = PushSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        results = sync.push(request=request, operations=payload.validated_data["operations"])
        return Response(PushAnswerSerializer({"results": results}).data)


# --- Public app settings -------------------------------------------------------------------------------


class PublicSettingSerializer(serializers.ModelSerializer):
    value = serializers.JSONField(help_text="Typed as `data_type` says: a string, an integer, a boolean or JSON.")

    class Meta:
        model = AppSetting
        fields = ["key", "value", "data_type", "category", "description", "updated_at"]


class PublicSettingsView(APIView):
    """The settings staff marked public, for the app to read (and poll cheaply with If-None-Match)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["sync"],
        summary="The app settings clients may read",
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of the last answer: 304 while nothing changed.",
            )
        ],
        responses={
            200: PublicSettingSerializer(many=True),
            304: OpenApiResponse(description="Unchanged since the ETag sent."),
            **error_responses(HTTPStatus.UNAUTHORIZED),
        },
    )
    def get(self, request: Request) -> Response:
        body = PublicSettingSerializer(AppSetting.objects.public().order_by("key"), many=True).data
        digest = hashlib.blake2b(json.dumps(body, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()
        tag = f'"{digest}"'
        if request.headers.get("If-None-Match") == tag:
            response = Response(status=HTTPStatus.NOT_MODIFIED)
        else:
            response = Response(body)
        response["ETag"] = tag
        response["Cache-Control"] = "private, no-cache"
        return response
