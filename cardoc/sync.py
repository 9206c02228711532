"""Offline-first sync: the change log behind ``GET /sync/changes``, the versions behind ETag and If-Match,
client-chosen ids, and the batch upload behind ``POST /sync/push``.

Every synced type is a ``SyncSource``, registered by its app in ``AppConfig.ready()`` with one line::

    sync.register(SyncSource(kind="vehicle", model="accounts.Vehicle", viewset="accounts.api.views.VehicleViewSet"))

Its saves and deletions are then logged (``post_save`` / ``post_delete``: whatever writes the row, a service,
the admin, a cascade or a worker, the phone hears of it); code that changes a row with ``QuerySet.update``
calls ``record_change_of`` itself. The feed and the batch upload reuse the type's own API viewset: its
``get_queryset`` (``visible_to``), serializers and ``perform_*`` methods (the services), so a pushed
operation is validated and applied exactly like the REST call it stands for.

The merge rule: an update or delete names the version it was based on (``If-Match``, or ``base_version``
in a push); the server applies it only while that is still the object's version, else the client gets a
conflict with the server's current version and data, and decides. The server never silently overwrites
a newer change. A REST call without ``If-Match`` is applied as it stands (the older clients' behaviour).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models, transaction
from django.db.models import F, Max
from django.db.models.functions import Greatest
from django.db.models.signals import post_delete, post_save
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.module_loading import import_string
from rest_framework import exceptions as drf_exceptions
from rest_framework.request import Request
from rest_framework.serializers import as_serializer_error

from cardoc.exceptions import ConflictError, DomainError
from cardoc.models import SyncChange, SyncCounter
from cardoc.services import rows_delete_in_batches

# A DRF SyncView with the create/update/destroy mixins its source's operations need.
SyncView = Any

CREATE, UPDATE, DELETE = "create", "update", "delete"
ALL_OPERATIONS = frozenset({CREATE, UPDATE, DELETE})


class PreconditionFailedError(DomainError):
    """``If-Match`` (or a push's ``base_version``) names a version that is no longer the object's."""

    status_code = 412
    code = "precondition_failed"

    def __init__(self, message: str, *, current: int) -> None:
        super().__init__(message)
        self.current = current


class CursorExpiredError(DomainError):
    """The cursor is older than the kept tombstones (or from another server): the client must resync."""

    status_code = 410
    code = "cursor_expired"


@dataclass(frozen=True)
class SyncSource:
    """One synced type: its name in the feed, its model, the API viewset that reads and writes it.

    ``owner`` is the foreign key to the owning driver, or None for public content (catalog, directory),
    which every signed-in user's feed carries. ``operations`` are what ``/sync/push`` may do to it.
    ``updates_commute`` is for a type whose pushed updates cannot undo anyone's change, whatever their
    order (a notification's read flag only ever turns on): its updates need no ``base_version``, and a
    stale one is no conflict, so two phones that both read a message offline both get ok.
    """

    kind: str
    model: str
    viewset: str
    owner: str | None = "user"
    operations: frozenset[str] = frozenset()
    updates_commute: bool = False

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def view(self, request: Request, *, action: str, check: bool = True) -> SyncView:
        """The viewset as DRF would make it for ``action`` on this request (not dispatched: no throttles).

        ``check`` applies its permissions, as a request to it would; the feed skips them, since it shows
        only the user's own rows and the public ones anyway. The push applies the view's throttles itself
        (``_apply``): a nested route that hands a create over (``create_as_pushed``) has counted it already.
        """
        view_class = import_string(self.viewset)
        view: SyncView = view_class(request=request, args=(), kwargs={}, format_kwarg=None, action=action)
        if check:
            view.check_permissions(request)
        return view


_sources: dict[str, SyncSource] = {}
_by_model: dict[str, SyncSource] = {}


def register(source: SyncSource) -> None:
    """Sync ``source``: log its changes from now on and serve it in the feed (and the push, if writable)."""
    _sources[source.kind] = source
    _by_model[source.model.lower()] = source
    post_save.connect(_saved, sender=source.model, dispatch_uid=f"sync-saved-{source.kind}")
    post_delete.connect(_deleted, sender=source.model, dispatch_uid=f"sync-deleted-{source.kind}")


def sources() -> Mapping[str, SyncSource]:
    return dict(_sources)


def source_for(model: type[models.Model]) -> SyncSource | None:
    return _by_model.get(model._meta.label_lower)


def _saved(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # loaddata: fixtures are not anyone's change
        record_change(instance)


def _deleted(sender: type[models.Model], instance: models.Model, origin: Any = None, **kwargs: Any) -> None:
    if _owner_goes_too(instance, origin):
        return  # a closed account's feed has no reader, and its change rows go with the user
    record_change(instance, deleted=True)


def _owner_goes_too(instance: models.Model, origin: Any) -> bool:
    user_model = get_user_model()
    if isinstance(origin, models.QuerySet):
        return origin.model is user_model
    source = source_for(type(instance))
    if not isinstance(origin, user_model) or source is None or source.owner is None:
        return False
    return bool(getattr(instance, f"{source.owner}_id") == origin.pk)


# --- Writing the log -----------------------------------------------------------------------------------


def next_version() -> int:
    """Hand out the next change version; the counter row stays locked until the caller's transaction ends."""
    sql = f"UPDATE {SyncCounter._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [SyncCounter.NAME])
        row = cursor.fetchone()
    if row is None:  # a flushed test database: the migration's row is gone
        SyncCounter.objects.get_or_create(name=SyncCounter.NAME)
        return next_version()
    return int(row[0])


def record_change(instance: models.Model, *, deleted: bool = False) -> int:
    """Log that ``instance`` (of a synced type) changed or was deleted, in the caller's transaction."""
    source = source_for(type(instance))
    if source is None:
        raise LookupError(f"{type(instance)._meta.label} is not a synced type.")
    owner_id = getattr(instance, f"{source.owner}_id") if source.owner else None
    return _log(kind=source.kind, object_id=instance.pk, owner_id=owner_id, deleted=deleted)


def record_change_of(model: type[models.Model], pk: Any) -> None:
    """Log a change made with ``QuerySet.update`` (which sends no signal) to the row ``pk`` of ``model``."""
    source = source_for(model)
    if source is None:
        raise LookupError(f"{model._meta.label} is not a synced type.")
    owner_id = model._default_manager.filter(pk=pk).values_list(f"{source.owner}_id", flat=True).first()
    if source.owner is None or owner_id is not None:
        _log(kind=source.kind, object_id=pk, owner_id=owner_id, deleted=False)


@transaction.atomic  # outside a transaction too, the counter stays locked until this change row is written
def _log(*, kind: str, object_id: Any, owner_id: Any, deleted: bool) -> int:
    version = next_version()
    # The pushed update this row remembered is no longer the last write.
    values = {"version": version, "owner_id": owner_id, "deleted": deleted, "changed_at": timezone.now()}
    values["write_digest"] = ""
    # Under the counter's lock, so no other transaction can insert this object's row in between.
    if not SyncChange.objects.filter(kind=kind, object_id=object_id).update(**values):
        SyncChange.objects.create(kind=kind, object_id=object_id, **values)
    return version


def version_of(kind: str, object_id: Any) -> int:
    """The object's current version (0 for an object changed before sync existed and not since)."""
    version = (
        SyncChange.objects.filter(kind=kind, object_id=object_id, deleted=False)
        .values_list("version", flat=True)
        .first()
    )
    return version or 0


def backfill() -> dict[str, int]:
    """Log every row of every synced type that has no change yet (rows older than sync); returns counts."""
    counts: dict[str, int] = {}
    for source in _sources.values():
        known = SyncChange.objects.filter(kind=source.kind).values("object_id")
        model = source.model_class
        pending = model._default_manager.exclude(pk__in=known).order_by("pk")
        fields = ["pk", f"{source.owner}_id"] if source.owner else ["pk"]
        counts[source.kind] = 0
        for row in pending.values_list(*fields).iterator(chunk_size=2000):
            with transaction.atomic():
                _log(kind=source.kind, object_id=row[0], owner_id=row[1] if source.owner else None, deleted=False)
            counts[source.kind] += 1
    return counts


def tombstones_prune(*, older_than: timedelta) -> int:
    """Drop tombstones older than ``older_than`` (SYNC_TOMBSTONE_RETENTION_DAYS); cursors before them expire."""
    stale = SyncChange.objects.filter(deleted=True, changed_at__lt=timezone.now() - older_than)
    highest = stale.aggregate(highest=Max("version"))["highest"]
    if highest is None:
        return 0
    # Raised first: a client reading while the rows go must already be told to resync.
    SyncCounter.objects.filter(name=SyncCounter.NAME).update(pruned_through=Greatest(F("pruned_through"), highest))
    return rows_delete_in_batches(stale.filter(version__lte=highest))


# --- Reading the feed ----------------------------------------------------------------------------------

CURSOR_PREFIX = "v1:"


def cursor_encode(version: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{version}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    """The version a cursor stands for; a malformed one is a validation error (400)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(CURSOR_PREFIX):
            raise ValueError(text)
        version = int(text.removeprefix(CURSOR_PREFIX))
        if version < 0:
            raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DjangoValidationError({"cursor": "This is not a cursor this server issued."}) from exc
    return version


@dataclass(frozen=True)
class FeedEntry:
    """One changed object in the feed: its current state, or a tombstone (``deleted``, no data)."""

    type: str
    id: UUID
    version: int
    deleted: bool
    data: dict[str, Any] | None


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    cursor: str
    has_more: bool


def changes_since(*, request: Request, cursor: str | None, limit: int) -> FeedPage:
    """The signed-in user's changes (their own objects and the public content) after ``cursor``, oldest first.

    An empty cursor starts a full sync. Each object appears once, at its latest version: paging while
    writes happen loses nothing (a later change gets a version past every cursor already handed out) and
    repeats nothing (an object changed again moves to the end, with its new state).
    """
    after = cursor_decode(cursor) if cursor else 0
    counter = SyncCounter.objects.filter(name=SyncCounter.NAME).values("value", "pruned_through").first()
    value, pruned = (counter["value"], counter["pruned_through"]) if counter else (0, 0)
    if after and (after < pruned or after > value):
        raise CursorExpiredError(
            "This cursor is older than the deletions the server keeps (or from another server): "
            "discard the local copy and sync again from an empty cursor."
        )
    rows = list(
        SyncChange.objects.visible_to(request.user)
        .filter(version__gt=after, kind__in=list(_sources))
        .order_by("version")
        .values("kind", "object_id", "version", "deleted")[: limit + 1]
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    data = _current_data(request, rows)
    entries = [
        FeedEntry(
            type=row["kind"],
            id=row["object_id"],
            version=row["version"],
            # A row its viewset no longer shows (a listing unpublished) is gone, as far as this user knows.
            deleted=row["deleted"] or (row["kind"], row["object_id"]) not in data,
            data=None if row["deleted"] else data.get((row["kind"], row["object_id"])),
        )
        for row in rows
    ]
    return FeedPage(entries=entries, cursor=cursor_encode(rows[-1]["version"] if rows else after), has_more=has_more)


def _current_data(request: Request, rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, UUID], dict[str, Any]]:
    """Serialize the live objects of ``rows``: one query (plus the viewset's prefetches) per type."""
    wanted: dict[str, list[UUID]] = defaultdict(list)
    for row in rows:
        if not row["deleted"]:
            wanted[row["kind"]].append(row["object_id"])
    data: dict[tuple[str, UUID], dict[str, Any]] = {}
    for kind, ids in wanted.items():
        view = _sources[kind].view(request, action="retrieve", check=False)
        objects = list(view.get_queryset().filter(pk__in=ids))
        serialized = view.get_serializer(objects, many=True).data
        for obj, item in zip(objects, serialized, strict=True):
            data[(kind, obj.pk)] = item
    return data


# --- Client ids, versions and the batch upload --------------------------------------------------------


def body_digest(body: Mapping[str, Any]) -> str:
    """A fingerprint of a request body, whatever its keys' order."""
    plain = dict(body.lists()) if hasattr(body, "lists") else dict(body)
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()


def _claim_client_id(object_id: UUID) -> None:
    # Two racing creates with one id: the second waits here for the first to commit, then finds its row.
    # SQLite needs nothing: its IMMEDIATE transactions already write one at a time.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"sync-id:{object_id}"])


def _id_taken(source: SyncSource, object_id: UUID) -> bool:
    """Whether anyone's object has this id, even one row-level security hides from the caller."""
    if source.model_class._default_manager.filter(pk=object_id).exists():
        return True
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardoc_sync_id_taken(%s, %s)", [source.kind, object_id])
        return bool(cursor.fetchone()[0])


@dataclass
class Created:
    instance: models.Model
    created: bool
    version: int


def client_create(*, source: SyncSource, view: SyncView, data: Mapping[str, Any]) -> Created:
    """Create through the type's viewset, honouring a client-chosen ``id``.

    The same id with the same body answers the stored object (``created`` False); the same id with a
    different body, or one that belongs to someone else, is a 409.
    """
    serializer = view.get_serializer(data=data)
    serializer.is_valid(raise_exception=True)
    client_id = serializer.validated_data.get("id")
    digest = body_digest({**data, "id": str(client_id)}) if client_id else ""
    with transaction.atomic():
        if client_id is not None:
            _claim_client_id(client_id)
            prior = SyncChange.objects.filter(kind=source.kind, object_id=client_id).first()
            if prior is not None or _id_taken(source, client_id):
                if prior is None or prior.owner_id != view.request.user.pk or prior.create_digest != digest:
                    raise ConflictError(
                        "This id is already used by another object, or by a create with a different body.",
                        code="id_conflict",
                    )
                if prior.deleted:
                    raise ConflictError("The object made with this id has been deleted since.", code="deleted")
                return Created(instance=view.get_queryset().get(pk=client_id), created=False, version=prior.version)
        view.perform_create(serializer)
        instance: models.Model = serializer.instance
        if digest:
            SyncChange.objects.filter(kind=source.kind, object_id=instance.pk).update(create_digest=digest)
        return Created(instance=instance, created=True, version=version_of(source.kind, instance.pk))


def require_version(*, source: SyncSource, instance: models.Model, expected: int | None) -> int:
    """Lock ``instance``'s row and check that ``expected`` (from If-Match) is still its version.

    Holding the row lock, no other transaction can change the object before ours commits (every write of
    it updates, hence locks, that row), so the check cannot go stale. Call it inside a transaction.
    """
    source.model_class._default_manager.select_for_update().filter(pk=instance.pk).exists()
    current = version_of(source.kind, instance.pk)
    if expected is not None and expected != current:
        raise PreconditionFailedError(
            f"This object changed since version {expected}: it is now at version {current}. "
            "Read it again, merge, and retry with the new version.",
            current=current,
        )
    return current


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an If-Match header names; None when there is none (or ``*``)."""
    if not header or header.strip() == "*":
        return None
    text = header.strip().removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError as exc:
        raise DjangoValidationError({"If-Match": "Send the ETag this object was read with."}) from exc


@dataclass
class PushResult:
    """What became of one pushed operation."""

    index: int
    op: str
    type: str
    id: UUID
    status: str  # ok | conflict | invalid | not_found | failed_dependency
    version: int | None = None
    data: dict[str, Any] | None = None
    error: dict[str, Any] | None = field(default=None)


OK, CONFLICT, INVALID, NOT_FOUND, FAILED_DEPENDENCY = "ok", "conflict", "invalid", "not_found", "failed_dependency"
THROTTLED = "throttled"


def push(*, request: Request, operations: list[Mapping[str, Any]]) -> list[PushResult]:
    """Apply ``operations`` in order, each in its own transaction (a savepoint inside a caller's one).

    A failed operation changes nothing. Later operations go on, except those that depend on a failed
    create: that touch its id, or whose data names it (a repair on a car that could not be created).
    """
    failed: set[str] = set()
    results: list[PushResult] = []
    for index, op in enumerate(operations):
        result = PushResult(index=index, op=op["op"], type=op["type"], id=op["id"], status=OK)
        if failed & {str(op["id"]), *_mentioned_ids(op.get("data") or {})}:
            result.status = FAILED_DEPENDENCY
            result.error = _error("failed_dependency", "An earlier create this operation depends on failed.")
        else:
            _apply_reporting(request, op, result)
        if result.status != OK and op["op"] == CREATE:
            # Only a failed create leaves something missing; an update or delete that failed leaves the object.
            failed.add(str(op["id"]))
        results.append(result)
    return results


def _mentioned_ids(data: Mapping[str, Any]) -> set[str]:
    return {str(value) for value in data.values() if isinstance(value, str | UUID)}


def _error(code: str, message: str | StrPromise, fields: Any = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "fields": fields or {}}


def _apply_reporting(request: Request, op: Mapping[str, Any], result: PushResult) -> None:
    source = _sources.get(op["type"])
    try:
        if source is None or op["op"] not in source.operations:
            raise drf_exceptions.ValidationError({"op": [f"{op['type']} does not take {op['op']} through a push."]})
        with transaction.atomic():
            _apply(request, source, op, result)
    except PreconditionFailedError as exc:
        result.status, result.version = CONFLICT, exc.current
        result.error = _error(exc.code, exc.message)
        result.data = _current(request, source, op["id"]) if source else None
    except (Http404, ObjectDoesNotExist):
        result.status, result.error = NOT_FOUND, _error("not_found", "Not found.")
    except ConflictError as exc:
        result.status, result.error = CONFLICT, _error(exc.code, exc.message)
    except DomainError as exc:
        result.status, result.error = INVALID, _error(exc.code, exc.message)
    except DjangoValidationError as exc:
        result.status, result.error = INVALID, _error("validation_error", "Invalid input.", as_serializer_error(exc))
    except drf_exceptions.ValidationError as exc:
        result.status, result.error = INVALID, _error("validation_error", "Invalid input.", exc.detail)
    except (drf_exceptions.PermissionDenied, DjangoPermissionDenied) as exc:
        result.status, result.error = INVALID, _error("permission_denied", str(exc))
    except drf_exceptions.Throttled as exc:
        result.status, result.error = THROTTLED, _error("throttled", str(exc.detail))


def _current(request: Request, source: SyncSource, object_id: UUID) -> dict[str, Any] | None:
    view = source.view(request, action="retrieve", check=False)
    instance = view.get_queryset().filter(pk=object_id).first()
    return view.get_serializer(instance).data if instance is not None else None


def _apply(request: Request, source: SyncSource, op: Mapping[str, Any], result: PushResult) -> None:
    """Apply one operation through the type's viewset: its permissions, its throttles for the action (a push
    is no way around a rate limit), its serializer and its perform_* write."""
    data = dict(op.get("data") or {})
    if op["op"] == CREATE:
        view = source.view(request, action="create")
        view.check_throttles(request)
        made = client_create(source=source, view=view, data={**data, "id": str(op["id"])})
        result.version, result.data = made.version, view.get_serializer(made.instance).data
        return
    commutes = op["op"] == UPDATE and source.updates_commute
    if op.get("base_version") is None and not commutes:
        raise drf_exceptions.ValidationError(
            {"base_version": ["An update or delete names the version it is based on."]}
        )
    action = "partial_update" if op["op"] == UPDATE else "destroy"
    view = source.view(request, action=action)
    view.check_throttles(request)
    instance = view.get_queryset().filter(pk=op["id"]).first()
    if instance is None:
        if op["op"] == DELETE and _already_deleted(request, source, op["id"]):
            return  # a retried delete: done the first time
        raise Http404
    digest = body_digest({"base_version": op.get("base_version"), "data": data})
    if op["op"] == UPDATE and _is_replayed_update(source, instance.pk, digest):
        result.version, result.data = version_of(source.kind, instance.pk), view.get_serializer(instance).data
        return
    require_version(source=source, instance=instance, expected=None if commutes else op["base_version"])
    if op["op"] == DELETE:
        view.perform_destroy(instance)
        return
    serializer = view.get_serializer(instance, data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    view.perform_update(serializer)
    SyncChange.objects.filter(kind=source.kind, object_id=instance.pk).update(write_digest=digest)
    fresh = view.get_queryset().get(pk=instance.pk)
    result.version, result.data = version_of(source.kind, instance.pk), view.get_serializer(fresh).data


def _already_deleted(request: Request, source: SyncSource, object_id: UUID) -> bool:
    return SyncChange.objects.filter(
        kind=source.kind, object_id=object_id, deleted=True, owner_id=request.user.pk
    ).exists()


def _is_replayed_update(source: SyncSource, object_id: UUID, digest: str) -> bool:
    # The last write to this object was this very operation: the client retried after losing the answer.
    return SyncChange.objects.filter(kind=source.kind, object_id=object_id, write_digest=digest).exists()
