"""Writes for diagnostics: storing an upload, running its analysis, and making sure nothing stays stuck.

The analysis is the one service that is not a single transaction: a run claims its record, calls the
models outside any transaction (inference takes long and must not hold a database lock), then stores the
whole result in one transaction, or fails the record, or queues a retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, BinaryIO, cast
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q, Sum
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, Vehicle
from accounts.services import storage_quota_check
from cardoc.exceptions import ConflictError
from cardoc.hooks import diagnostic_finished
from cardoc.models import AppSetting, AuditAction, AuditStatus
from cardoc.services import audit_record
from cardoc.sync import record_change_of
from cardoc.tasks import enqueue
from catalog.models import EngineSound, TroubleCode, WarningLight
from diagnostics import media
from diagnostics.models import (
    Detection,
    DiagnosticFeedback,
    DiagnosticRecord,
    DiagnosticResult,
    DiagnosticStatus,
    DiagnosticType,
    FailureReason,
    FindingFeedback,
    Verdict,
)
from diagnostics.urgency import urgency_for
from mlops import inference
from mlops.inference import MediaError, ModelUnavailableError
from mlops.sniff import MediaKind, sniff_file

logger = logging.getLogger(__name__)

ANALYZE_TASK = "diagnostics.tasks.analyze_diagnostic"

NEEDS_IMAGE = frozenset({DiagnosticType.DASHBOARD_SCAN, DiagnosticType.COMBINED})
NEEDS_AUDIO = frozenset({DiagnosticType.ENGINE_SOUND, DiagnosticType.COMBINED})
FINISHED = (DiagnosticStatus.COMPLETED, DiagnosticStatus.FAILED)


# --- Upload ---------------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _binary(file: File[Any]) -> BinaryIO:
    # Django's File proxies every method of the binary file it wraps; the stubs do not say so.
    return cast(BinaryIO, file)


def _checked_image(file: UploadedFile) -> MediaKind:
    size = file.size or 0
    if size > media.IMAGE_MAX_BYTES:
        raise ValidationError(
            {"image": f"The photo is {_megabytes(size)}; the limit is {_megabytes(media.IMAGE_MAX_BYTES)}."}
        )
    kind = sniff_file(_binary(file))
    if kind is None or not kind.is_image:
        raise ValidationError({"image": _("The photo must be a JPEG, PNG or WebP image.")})
    # The header alone tells the size, so a decompression bomb is refused before anything decodes it.
    over = media.exceeded_pixel_limit(_binary(file))
    if over is not None:
        limit = over // 1_000_000
        raise ValidationError({"image": f"The photo has more than {limit} megapixels; please send a smaller one."})
    try:
        inference.probe_image(_binary(file))
    except MediaError as exc:
        raise ValidationError({"image": _("The photo is damaged or is not a JPEG, PNG or WebP image.")}) from exc
    finally:
        file.seek(0)
    return kind


def _checked_audio(file: UploadedFile) -> MediaKind:
    size = file.size or 0
    if size > media.AUDIO_MAX_BYTES:
        raise ValidationError(
            {"audio": f"The recording is {_megabytes(size)}; the limit is {_megabytes(media.AUDIO_MAX_BYTES)}."}
        )
    kind = sniff_file(_binary(file))
    if kind is None or not kind.is_audio:
        raise ValidationError({"audio": _("The recording must be a WAV, MP3, M4A, AAC, OGG or FLAC file.")})
    try:
        inference.probe_audio(_binary(file))
    except MediaError as exc:
        # The decoder's messages are written for the driver ("too short: at least 0.5 s").
        raise ValidationError({"audio": str(exc)}) from exc
    finally:
        file.seek(0)
    return kind


def _checked_uploads(
    *, diagnostic_type: str, image: UploadedFile | None, audio: UploadedFile | None
) -> dict[str, tuple[UploadedFile, MediaKind]]:
    """The files this type needs, each proved to be what it claims; raises ValidationError otherwise."""
    label = DiagnosticType(diagnostic_type).label.lower()
    errors: dict[str, str] = {}
    if diagnostic_type in NEEDS_IMAGE and image is None:
        errors["image"] = _("A %(type)s needs a photo of the dashboard.") % {"type": label}
    if diagnostic_type not in NEEDS_IMAGE and image is not None:
        errors["image"] = _("A %(type)s takes no photo.") % {"type": label}
    if diagnostic_type in NEEDS_AUDIO and audio is None:
        errors["audio"] = _("A %(type)s needs a recording of the engine.") % {"type": label}
    if diagnostic_type not in NEEDS_AUDIO and audio is not None:
        errors["audio"] = _("A %(type)s takes no recording.") % {"type": label}
    if errors:
        raise ValidationError(errors)
    uploads: dict[str, tuple[UploadedFile, MediaKind]] = {}
    if image is not None:
        uploads["image"] = (image, _checked_image(image))
    if audio is not None:
        uploads["audio"] = (audio, _checked_audio(audio))
    return uploads


def _discard_files(files: Iterable[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            # The rows are gone (or never were): a file left on a failing disk is for staff to clear, and
            # must not turn the driver's successful request into a 500.
            logger.exception("Could not delete the private file %s", name)


def diagnostic_files_discard_on_delete(*, record: DiagnosticRecord) -> None:
    """Remove a deleted diagnostic's photo and recording once the deletion commits, however it was deleted.

    Connected to ``post_delete`` (diagnostics.apps), so the admin's delete, a cascade from a deleted user
    or car, and the API all leave no private media behind; a rollback keeps the files with their rows.
    """
    files = [(file.storage, file.name) for file in (record.image, record.audio) if file]
    if files:
        transaction.on_commit(partial(_discard_files, files))


def user_storage_used(*, user: User) -> int:
    """Bytes of the photos and recordings ``user``'s diagnostics keep (registered on hooks.storage_usage)."""
    return DiagnosticRecord.objects.filter(user=user).aggregate(total=Sum("media_bytes"))["total"] or 0


def _queue_analysis(record_id: UUID) -> None:
    # After the commit, so the worker never looks for a row it cannot see yet.
    transaction.on_commit(partial(enqueue, ANALYZE_TASK, str(record_id)))


# A phone's clock may run a little ahead of ours; more than this ahead is a wrong clock, not skew.
CLOCK_SKEW = timedelta(minutes=5)
CAPTURE_MAX_AGE_SETTING = "offline_capture_max_age_days"
CAPTURE_MAX_AGE_DEFAULT_DAYS = 30


def _checked_capture_time(captured_at: datetime | None, *, now: datetime) -> datetime:
    if captured_at is None:
        return now
    if captured_at > now + CLOCK_SKEW:
        raise ValidationError({"captured_at": "The capture time is in the future; check the phone's clock."})
    days = AppSetting.objects.value_of(CAPTURE_MAX_AGE_SETTING, default=CAPTURE_MAX_AGE_DEFAULT_DAYS)
    if captured_at < now - timedelta(days=days):
        raise ValidationError({"captured_at": f"The capture time is more than {days} days ago."})
    return min(captured_at, now)


def _check_same_upload(
    existing: DiagnosticRecord, *, diagnostic_type: str, vehicle: Vehicle | None, captured_at: datetime | None
) -> None:
    same = (
        existing.diagnostic_type == diagnostic_type
        and existing.vehicle_id == (vehicle.pk if vehicle is not None else None)
        and (captured_at is None or abs(existing.captured_at - captured_at) <= timedelta(seconds=1))
    )
    if not same:
        raise ConflictError(
            "This client_ref was already used for a different upload (type, car or capture time).",
            code="client_ref_conflict",
        )


def diagnostic_create(
    *,
    user: User,
    diagnostic_type: str,
    image: UploadedFile | None = None,
    audio: UploadedFile | None = None,
    vehicle: Vehicle | None = None,
    client_ref: UUID | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    dtc_codes: Iterable[str] = (),
    odometer_km: int | None = None,
    captured_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> tuple[DiagnosticRecord, bool]:
    """Store a new diagnostic and queue its analysis; returns (record, created).

    Every check runs before anything is written, and a failure after the files are stored removes them,
    so a rejected upload leaves neither a row nor a file. A repeated ``client_ref`` (a phone retrying an
    offline upload) returns the first record, even when two copies race each other to the unique index;
    the same ``client_ref`` on a different upload (another type, car or capture time) is a conflict.
    ``captured_at`` is when the phone took the photo or recording, offline perhaps: not in the future, and
    at most ``offline_capture_max_age_days`` (an app setting) ago.
    """
    if client_ref is not None:
        existing = DiagnosticRecord.objects.filter(user=user, client_ref=client_ref).first()
        if existing is not None:
            _check_same_upload(existing, diagnostic_type=diagnostic_type, vehicle=vehicle, captured_at=captured_at)
            return existing, False
    if vehicle is not None and vehicle.user_id != user.pk:
        raise ValidationError({"vehicle": _("Choose one of your own vehicles.")})
    now = timezone.now()
    captured_at = _checked_capture_time(captured_at, now=now)
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise ValidationError({missing: "Send latitude and longitude together, or neither."})
    uploads = _checked_uploads(diagnostic_type=diagnostic_type, image=image, audio=audio)
    codes = list(dict.fromkeys(code.strip().upper() for code in dtc_codes))
    if diagnostic_type == DiagnosticType.TROUBLE_CODES and not codes:
        raise ValidationError({"dtc_codes": "A trouble-codes diagnostic needs the codes your scanner read."})
    if odometer_km is not None and vehicle is None:
        raise ValidationError({"odometer_km": "A reading needs a vehicle, whose odometer it is."})

    stored: list[tuple[Storage, str]] = []
    try:
        with transaction.atomic():
            record = DiagnosticRecord(
                user=user,
                vehicle=vehicle,
                diagnostic_type=diagnostic_type,
                client_ref=client_ref,
                latitude=latitude,
                longitude=longitude,
                dtc_codes=codes,
                odometer_km=odometer_km,
                captured_at=captured_at,
                queued_at=now,
            )
            media_bytes = sum(file.size or 0 for file, _ in uploads.values())
            # Inside the transaction and before any file is written: a refused upload stores nothing.
            storage_quota_check(user=user, incoming_bytes=media_bytes)
            record.media_bytes = media_bytes
            for field_name, (file, kind) in uploads.items():
                # Our own name, from the sniffed type: the phone's file name never reaches the disk.
                field_file = getattr(record, field_name)
                field_file.save(f"{record.pk}.{kind.extension}", file, save=False)
                stored.append((field_file.storage, field_file.name))
            record.save(force_insert=True)
            audit_record(
                action=AuditAction.DIAGNOSTIC,
                user=user,
                request=request,
                details={"event": "created", "diagnostic": str(record.pk), "diagnostic_type": diagnostic_type},
            )
            _queue_analysis(record.pk)
    except IntegrityError:
        _discard_files(stored)
        winner = (
            DiagnosticRecord.objects.filter(user=user, client_ref=client_ref).first()
            if client_ref is not None
            else None
        )
        if winner is None:
            raise
        return winner, False
    except BaseException:
        _discard_files(stored)
        raise
    return record, True


@transaction.atomic
def diagnostic_reanalyze(
    *, record: DiagnosticRecord, user: User, request: HttpRequest | None = None
) -> DiagnosticRecord:
    """Queue a fresh analysis of a finished diagnostic (e.g. after a new model is deployed).

    The previous result stays visible until the new one replaces it. Refused while an analysis is
    pending or running, so two runs never race to write one result.
    """
    requeued = DiagnosticRecord.objects.filter(pk=record.pk, status__in=FINISHED).update(
        status=DiagnosticStatus.PENDING,
        attempts=0,
        error_message="",
        error_code="",
        error_params={},
        queued_at=timezone.now(),
        started_at=None,
        finished_at=None,
    )
    if not requeued:
        raise ConflictError(
            _("This diagnostic is already being analysed; wait until it ends."), code="analysis_running"
        )
    record_change_of(DiagnosticRecord, record.pk)  # an UPDATE sends no signal: tell the phones
    audit_record(
        action=AuditAction.DIAGNOSTIC,
        user=user,
        request=request,
        details={"event": "reanalysis_requested", "diagnostic": str(record.pk)},
    )
    _queue_analysis(record.pk)
    record.refresh_from_db()
    return record


@transaction.atomic
def diagnostic_delete(*, record: DiagnosticRecord, user: User, request: HttpRequest | None = None) -> None:
    """Delete a diagnostic with its result; its photo and recording go once the deletion is committed."""
    # The files go after the commit, through the post_delete receiver (diagnostic_files_discard_on_delete).
    record_id = str(record.pk)
    record.delete()
    audit_record(
        action=AuditAction.DIAGNOSTIC,
        user=user,
        request=request,
        details={"event": "deleted", "diagnostic": record_id},
    )


# --- Analysis -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Finding:
    code: str
    confidence: float
    model_id: UUID
    box: tuple[int, int, int, int] | None = None
    span: tuple[float, float] | None = None


@dataclass(slots=True)
class _Outcome:
    lights: list[_Finding] = field(default_factory=list)
    sounds: list[_Finding] = field(default_factory=list)
    model_ids: list[UUID] = field(default_factory=list)
    analysis: dict[str, Any] = field(default_factory=dict)
    image_hint: str = ""  # what the measurements say of the media, shown only when it found nothing
    audio_hint: str = ""


def _served_by(model: inference.ServedBy) -> dict[str, str]:
    return {"id": str(model.id), "name": model.name, "version": model.version}


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def _box(raw: Iterable[float]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (max(0, round(v)) for v in raw)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _span(start_s: float, end_s: float) -> tuple[float, float]:
    """A span the database accepts: it starts at or after 0 and ends after it starts."""
    start = max(0.0, start_s)
    return (start, end_s if end_s > start else start + 0.001)


def _open_media(field_file: FieldFile) -> File[Any]:
    if not field_file or not field_file.name:
        raise FileNotFoundError("The diagnostic has no file of this kind.")
    return field_file.storage.open(field_file.name, "rb")


def _infer(record: DiagnosticRecord) -> _Outcome:
    """Run the models this diagnostic's type needs; raises whatever the inference API raises."""
    outcome = _Outcome()
    routing_key = str(record.pk)
    started = time.perf_counter()
    if record.diagnostic_type in NEEDS_IMAGE:
        with _open_media(record.image) as file:
            dashboard = inference.analyze_dashboard(_binary(file), routing_key=routing_key)
        outcome.model_ids.append(dashboard.model.id)
        outcome.lights = [
            _Finding(code=d.code, confidence=_clamp01(d.confidence), model_id=dashboard.model.id, box=_box(d.box))
            for d in dashboard.detections
        ]
        outcome.image_hint = dashboard.quality.hint or ""
        outcome.analysis["dashboard"] = {
            "model": _served_by(dashboard.model),
            "elapsed_ms": round(dashboard.elapsed_ms, 1),
            "quality": dashboard.quality.as_dict(),
            "detections": [
                {"code": d.code, "confidence": round(d.confidence, 4), "box": list(_box(d.box))}
                for d in dashboard.detections
            ],
        }
    if record.diagnostic_type in NEEDS_AUDIO:
        with _open_media(record.audio) as file:
            engine = inference.analyze_engine_sound(_binary(file), routing_key=routing_key)
        verdict = engine.verdict
        outcome.model_ids.append(engine.model.id)
        # Every code heard over a stretch of the recording is a finding with its span: the whole clip's
        # verdict (and a close second), and a fault heard in part of it, which the clip's mean would average
        # away. The urgency rule then runs over all of them.
        outcome.sounds = [
            _Finding(
                code=finding.code,
                confidence=_clamp01(finding.confidence),
                model_id=engine.model.id,
                span=_span(finding.start_s, finding.end_s),
            )
            for finding in verdict.findings
        ]
        outcome.audio_hint = engine.quality.hint or ""
        outcome.analysis["engine_sound"] = {
            "model": _served_by(engine.model),
            "elapsed_ms": round(engine.elapsed_ms, 1),
            "quality": engine.quality.as_dict(),
            "duration_s": round(engine.duration_s, 3),
            "verdict": {
                "code": verdict.code,
                "confidence": round(verdict.confidence, 4),
                "candidates": [{"code": c.code, "confidence": round(c.confidence, 4)} for c in verdict.candidates],
            },
            "findings": [
                {"code": f.code, "confidence": round(f.confidence, 4), "start_s": f.start_s, "end_s": f.end_s}
                for f in verdict.findings
            ],
            "windows": [
                {"code": w.code, "confidence": round(w.confidence, 4), "start_s": w.start_s, "end_s": w.end_s}
                for w in verdict.windows
            ],
        }
    outcome.analysis["timings"] = {"inference_ms": round((time.perf_counter() - started) * 1000, 1)}
    return outcome


def _owned(record: DiagnosticRecord) -> Q:
    """This run still owns the record: nobody re-queued it (the sweep) or re-requested it since.

    Keyed on ``runs_started``, which only ever grows: ``attempts`` starts again at each re-analysis, so a
    run the sweep gave up on could otherwise match a later run's attempt number and store a stale result.
    """
    return Q(pk=record.pk, status=DiagnosticStatus.IN_PROGRESS, runs_started=record.runs_started)


def _store_result(record: DiagnosticRecord, attempt: int, outcome: _Outcome) -> DiagnosticRecord | None:
    """Replace the record's result with this run's findings and complete it, all in one transaction."""
    lights = WarningLight.objects.in_bulk({f.code for f in outcome.lights}, field_name="code")
    sounds = EngineSound.objects.in_bulk({f.code for f in outcome.sounds}, field_name="code")
    found = [(f, lights.get(f.code), None) for f in outcome.lights] + [
        (f, None, sounds.get(f.code)) for f in outcome.sounds
    ]
    # A code the catalog lacks stays in the raw analysis, but cannot be linked or rated.
    linked = [(f, light, sound) for f, light, sound in found if light is not None or sound is not None]
    missing = sorted({f.code for f, light, sound in found if light is None and sound is None})
    # The scanner's codes are findings too, read rather than inferred: confidence 1, and their severity
    # counts in the one urgency rule like a light's.
    read_codes = TroubleCode.objects.in_bulk(record.dtc_codes, field_name="code")
    scanned = [read_codes[code] for code in record.dtc_codes if code in read_codes]
    missing += sorted(code for code in record.dtc_codes if code not in read_codes)
    urgency = urgency_for(
        [*((light or sound).severity for _, light, sound in linked), *(code.severity for code in scanned)]  # type: ignore[union-attr]
    )
    overall = max([*(f.confidence for f, _, _ in linked), *([1.0] if scanned else [])], default=0.0)

    with transaction.atomic():
        locked = DiagnosticRecord.objects.select_for_update().filter(_owned(record)).first()
        if locked is None:
            return None
        now = timezone.now()
        analysis = {
            **outcome.analysis,
            "not_in_catalog": missing,
            "timings": {
                **outcome.analysis.get("timings", {}),
                "queue_wait_ms": _milliseconds(locked.queued_at, locked.started_at),
                "total_ms": _milliseconds(locked.queued_at, now),
            },
            "attempt": attempt,
        }
        _result_discard(locked)
        # A hint explains an empty result: a medium whose findings reached the catalog needs none.
        result = DiagnosticResult.objects.create(
            record=locked,
            analysis=analysis,
            overall_confidence=overall,
            urgency=urgency,
            image_hint="" if any(light for _, light, _ in linked) else outcome.image_hint,
            audio_hint="" if any(sound for _, _, sound in linked) else outcome.audio_hint,
        )
        Detection.objects.bulk_create(
            Detection(
                result=result,
                warning_light=light,
                engine_sound=sound,
                ml_model_id=finding.model_id,
                confidence=finding.confidence,
                box_x0=finding.box[0] if finding.box else None,
                box_y0=finding.box[1] if finding.box else None,
                box_x1=finding.box[2] if finding.box else None,
                box_y1=finding.box[3] if finding.box else None,
                start_s=finding.span[0] if finding.span else None,
                end_s=finding.span[1] if finding.span else None,
            )
            for finding, light, sound in linked
        )
        Detection.objects.bulk_create(Detection(result=result, trouble_code=code, confidence=1.0) for code in scanned)
        locked.ml_models.set(outcome.model_ids)  # type: ignore[arg-type]  # primary keys; the stubs know int ones
        locked.status = DiagnosticStatus.COMPLETED
        locked.error_message = ""
        locked.error_code = ""
        locked.error_params = {}
        locked.finished_at = now
        locked.save(update_fields=["status", "error_message", "error_code", "error_params", "finished_at"])
        _announce_finished(locked)
        audit_record(
            action=AuditAction.DIAGNOSTIC,
            user=locked.user,
            details={
                "event": "completed",
                "diagnostic": str(locked.pk),
                "urgency": urgency,
                "findings": sorted({f.code for f, _, _ in linked} | {code.code for code in scanned}),
            },
        )
    return locked


def _result_discard(record: DiagnosticRecord) -> None:
    """Delete the record's result; its feedback's verdicts lose their findings (SET_NULL, which sends no
    signal), so the feedback is logged as changed: the phones' copies would keep the old finding ids."""
    deleted, _by_model = DiagnosticResult.objects.filter(record=record).delete()
    feedback_id = DiagnosticFeedback.objects.filter(record=record).values_list("pk", flat=True).first()
    if deleted and feedback_id is not None:
        record_change_of(DiagnosticFeedback, feedback_id)


def _announce_finished(record: DiagnosticRecord) -> None:
    # In the outcome's own transaction: the inbox never tells of a result that was rolled back.
    for receiver in diagnostic_finished:
        receiver(record=record)


def _milliseconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000, 1)


def _fail(
    record_id: UUID, condition: Q, message: str, *, code: FailureReason, params: dict[str, int] | None = None
) -> bool:
    """Fail the record if ``condition`` still holds; any earlier result goes, so no stale findings remain.

    ``message`` is the English text with its technical detail, for staff and the audit; the driver reads
    ``code`` and ``params`` rendered in their own language when they ask (``DiagnosticRecord.failure_message``).
    """
    with transaction.atomic():
        locked = (
            DiagnosticRecord.objects.select_for_update(of=("self",)).select_related("user").filter(condition).first()
        )
        if locked is None:
            return False
        _result_discard(locked)
        locked.status = DiagnosticStatus.FAILED
        locked.error_message = message
        locked.error_code = code
        locked.error_params = params or {}
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "error_message", "error_code", "error_params", "finished_at"])
        _announce_finished(locked)
        audit_record(
            action=AuditAction.DIAGNOSTIC,
            user=locked.user,
            status=AuditStatus.FAILURE,
            details={"event": "failed", "diagnostic": str(record_id), "error": message, "code": code},
        )
    return True


def _retry_or_fail(record: DiagnosticRecord, attempt: int, reason: str, *, code: FailureReason) -> None:
    if attempt >= settings.DIAGNOSTIC_MAX_ATTEMPTS:
        _fail(
            record.pk,
            _owned(record),
            f"The analysis could not run after {attempt} {'attempt' if attempt == 1 else 'attempts'}: {reason} "
            "Please try again later.",
            code=code,
            params={"attempts": attempt},
        )
        return
    logger.warning("Diagnostic %s: attempt %s failed (%s); queued again.", record.pk, attempt, reason)
    with transaction.atomic():
        requeued = DiagnosticRecord.objects.filter(_owned(record)).update(
            status=DiagnosticStatus.PENDING, queued_at=timezone.now()
        )
        if requeued:
            _queue_analysis(record.pk)


def _claim(record_id: UUID | str) -> DiagnosticRecord | None:
    """Move a pending record to in progress; only one run can win, since the UPDATE is conditional."""
    claimed = DiagnosticRecord.objects.filter(pk=record_id, status=DiagnosticStatus.PENDING).update(
        status=DiagnosticStatus.IN_PROGRESS,
        attempts=F("attempts") + 1,
        runs_started=F("runs_started") + 1,
        started_at=timezone.now(),
        finished_at=None,
        error_message="",
        error_code="",
        error_params={},
    )
    if not claimed:
        return None
    record_change_of(DiagnosticRecord, record_id)
    return DiagnosticRecord.objects.select_related("user").filter(pk=record_id).first()


def diagnostic_analyze(*, record_id: UUID | str) -> DiagnosticRecord | None:
    """Run one analysis of a pending diagnostic; returns the record as this run left it, or None.

    None means there was nothing to do: the record is gone, or another run already claimed it, so a task
    delivered twice changes nothing. Bad media and unexpected errors fail the record for good; a missing
    model or a busy database queue it again, up to ``DIAGNOSTIC_MAX_ATTEMPTS`` runs.
    """
    record = _claim(record_id)
    if record is None:
        return None
    attempt = record.attempts
    try:
        outcome = _infer(record)
        stored = _store_result(record, attempt, outcome)
    except MediaError as exc:
        _fail(
            record.pk,
            _owned(record),
            f"The uploaded file could not be analysed: {exc}",
            code=FailureReason.MEDIA_UNREADABLE,
        )
    except FileNotFoundError:
        _fail(record.pk, _owned(record), "The uploaded file is no longer available.", code=FailureReason.MEDIA_MISSING)
    except ModelUnavailableError as exc:
        _retry_or_fail(record, attempt, str(exc), code=FailureReason.MODEL_UNAVAILABLE)
    except OperationalError:
        logger.warning("Diagnostic %s: database error during analysis.", record.pk, exc_info=True)
        _retry_or_fail(record, attempt, "the database was busy.", code=FailureReason.DATABASE_BUSY)
    except Exception:
        logger.exception("Diagnostic %s: analysis failed.", record.pk)
        _fail(
            record.pk,
            _owned(record),
            "The analysis failed because of an error on our side.",
            code=FailureReason.INTERNAL_ERROR,
        )
    else:
        return stored
    return DiagnosticRecord.objects.filter(pk=record.pk).first()


# --- Feedback -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingVerdict:
    """One verdict as the driver sent it: a finding of the result, and what they say of it."""

    detection_id: UUID
    verdict: str
    code: str | None = None


# Sent as the field's value: "leave it as it was" (a second send may correct one finding only).
UNCHANGED: Any = object()


def _catalog_entry(code: str, *, prefer_sound: bool) -> WarningLight | EngineSound | None:
    light = WarningLight.objects.filter(code=code).first()
    sound = EngineSound.objects.filter(code=code).first()
    return (sound or light) if prefer_sound else (light or sound)


@transaction.atomic
def diagnostic_feedback_submit(
    *,
    record: DiagnosticRecord,
    user: User,
    findings: list[FindingVerdict],
    mechanic_found_code: str | None = UNCHANGED,
    note: str = UNCHANGED,
    feedback_id: UUID | None = None,
    request: HttpRequest | None = None,
) -> tuple[DiagnosticFeedback, bool]:
    """Store the driver's verdicts on a completed diagnostic's findings; returns (feedback, created).

    Sending again corrects it: a verdict replaces the earlier one on the same finding, findings not named
    keep theirs, and ``mechanic_found_code`` and ``note`` replace theirs when given. Each finding's model
    and predicted code are copied, so the model's live precision outlives a re-analysis. Audited, with
    the codes but not the note (the driver's own words stay out of the audit trail).

    ``feedback_id`` is an id the app chose offline (``cardoc.sync``): the first send is made with it, and
    it never corrects feedback that exists already (sent from another phone, say): that is a 409, and the
    phone sends its verdicts again as a correction of that one, or drops them.
    """
    # The record's row lock orders two sends from two phones; the second sees the first's feedback.
    locked = DiagnosticRecord.objects.select_for_update(of=("self",)).filter(pk=record.pk).first()
    if locked is None:
        raise ConflictError("This diagnostic no longer exists.", code="diagnostic_gone")
    result = DiagnosticResult.objects.filter(record=locked).first()
    if locked.status != DiagnosticStatus.COMPLETED or result is None:
        raise ConflictError("Feedback needs a completed analysis; wait for its result.", code="analysis_pending")

    detections = {
        d.pk: d for d in Detection.objects.filter(result=result).select_related("warning_light", "engine_sound")
    }
    errors: dict[str, Any] = {}
    seen: set[UUID] = set()
    resolved: list[tuple[Detection, str, WarningLight | EngineSound | None]] = []
    for index, item in enumerate(findings):
        detection = detections.get(item.detection_id)
        problem: str | None = None
        corrected: WarningLight | EngineSound | None = None
        if detection is None:
            problem = "No such finding in this diagnostic's current result."
        elif item.detection_id in seen:
            problem = "This finding is named twice; send one verdict per finding."
        elif item.verdict == Verdict.CORRECTED:
            is_sound = detection.engine_sound_id is not None
            model = EngineSound if is_sound else WarningLight
            corrected = model.objects.filter(code=item.code or "").first()
            if not item.code:
                problem = "A correction needs the right code."
            elif corrected is None:
                kind = "engine sound" if is_sound else "warning light"
                problem = f"{item.code} is not a {kind} code in the catalog."
            elif corrected.code == detection.code:
                problem = "That is the code found; confirm the finding instead."
        elif item.code:
            problem = "Only a correction takes a code."
        if problem is not None:
            # Flat, numbered messages: Django's ValidationError takes no nested dict of fields.
            errors.setdefault("findings", []).append(f"Finding {index + 1}: {problem}")
        elif detection is not None:
            seen.add(item.detection_id)
            resolved.append((detection, item.verdict, corrected))

    mechanic_entry: WarningLight | EngineSound | None = None
    if mechanic_found_code is not UNCHANGED and mechanic_found_code:
        prefer_sound = locked.diagnostic_type == DiagnosticType.ENGINE_SOUND
        mechanic_entry = _catalog_entry(mechanic_found_code, prefer_sound=prefer_sound)
        if mechanic_entry is None:
            errors["mechanic_found_code"] = [f"{mechanic_found_code} is not a code in the catalog."]
    if errors:
        raise ValidationError(errors)

    feedback = DiagnosticFeedback.objects.filter(record=locked).first()
    created = feedback is None
    if feedback is not None and feedback_id is not None:
        raise ConflictError(
            _("This diagnostic has feedback already: send yours as a correction of it."),
            code="feedback_exists",
        )
    if feedback is None:
        said_code = mechanic_found_code is not UNCHANGED and bool(mechanic_found_code)
        said_note = note is not UNCHANGED and bool((note or "").strip())
        if not resolved and not said_code and not said_note:
            raise ValidationError({"findings": ["Say something: a verdict on a finding, or what the mechanic found."]})
        feedback = DiagnosticFeedback(record=locked, user=locked.user, note="")
        if feedback_id is not None:
            feedback.id = feedback_id
    else:
        feedback.revision += 1
    if mechanic_found_code is not UNCHANGED:
        feedback.mechanic_found_light = mechanic_entry if isinstance(mechanic_entry, WarningLight) else None
        feedback.mechanic_found_sound = mechanic_entry if isinstance(mechanic_entry, EngineSound) else None
    if note is not UNCHANGED:
        feedback.note = (note or "").strip()
    feedback.full_clean(exclude=["record", "user"], validate_unique=False)
    feedback.save()

    stored = {f.detection_id: f for f in FindingFeedback.objects.filter(feedback=feedback, detection__in=seen)}
    for detection, verdict, corrected in resolved:
        row = stored.get(detection.pk) or FindingFeedback(
            feedback=feedback, detection=detection, ml_model_id=detection.ml_model_id, predicted_code=detection.code
        )
        row.verdict = verdict
        row.corrected_light = corrected if isinstance(corrected, WarningLight) else None
        row.corrected_sound = corrected if isinstance(corrected, EngineSound) else None
        row.save()

    audit_record(
        action=AuditAction.DIAGNOSTIC,
        user=user,
        request=request,
        details={
            "event": "feedback_sent" if created else "feedback_corrected",
            "diagnostic": str(locked.pk),
            "revision": feedback.revision,
            "verdicts": {
                str(d.pk): {"code": d.code, "verdict": v, "corrected_to": c.code if c else None} for d, v, c in resolved
            },
            "mechanic_found": feedback.mechanic_found.code if feedback.mechanic_found else None,
        },
    )
    return feedback, created


# --- Sweep ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepReport:
    requeued: int
    failed: int


def diagnostic_sweep_stuck(*, queued_ids: set[str] | None, now: datetime | None = None) -> SweepReport:
    """Pick up what a dead worker or a lost task left behind, so no diagnostic stays unfinished for ever.

    A run in progress for longer than ``DIAGNOSTIC_STUCK_AFTER`` is queued again while attempts remain,
    else failed. A pending diagnostic queued longer ago than ``DIAGNOSTIC_PENDING_AFTER`` is queued again
    unless its task is still in the queue (``queued_ids``; None when the broker cannot be inspected, in
    which case it is queued again anyway: a second task for a claimed record does nothing).
    """
    now = now or timezone.now()
    requeued = failed = 0

    stuck_before = now - settings.DIAGNOSTIC_STUCK_AFTER
    stuck = DiagnosticRecord.objects.filter(status=DiagnosticStatus.IN_PROGRESS, started_at__lt=stuck_before)
    for record in stuck.only("pk", "attempts", "runs_started"):
        owned = _owned(record) & Q(started_at__lt=stuck_before)
        if record.attempts >= settings.DIAGNOSTIC_MAX_ATTEMPTS:
            minutes = int(settings.DIAGNOSTIC_STUCK_AFTER / timedelta(minutes=1))
            message = (
                f"The analysis did not finish within {minutes} minutes, {record.attempts} times; it was stopped. "
                "Please try again."
            )
            params = {"attempts": record.attempts, "minutes": minutes}
            failed += _fail(record.pk, owned, message, code=FailureReason.TIMED_OUT, params=params)
        else:
            requeued += _requeue(owned, record.pk)

    pending_before = now - settings.DIAGNOSTIC_PENDING_AFTER
    stale = DiagnosticRecord.objects.filter(status=DiagnosticStatus.PENDING).filter(
        Q(queued_at__lt=pending_before) | Q(queued_at__isnull=True, created_at__lt=pending_before)
    )
    for record in stale.only("pk", "queued_at"):
        if queued_ids is not None and str(record.pk) in queued_ids:
            continue
        requeued += _requeue(Q(pk=record.pk, status=DiagnosticStatus.PENDING, queued_at=record.queued_at), record.pk)
    if requeued or failed:
        logger.info("Stuck-diagnostic sweep: %s queued again, %s failed.", requeued, failed)
    return SweepReport(requeued=requeued, failed=failed)


def _requeue(condition: Q, record_id: UUID) -> bool:
    with transaction.atomic():
        done = DiagnosticRecord.objects.filter(condition).update(
            status=DiagnosticStatus.PENDING, queued_at=timezone.now()
        )
        if done:
            _queue_analysis(record_id)
    return bool(done)


# --- Closing an account -----------------------------------------------------------------------------


@transaction.atomic
def user_diagnostics_erase(*, user: User) -> None:
    """Delete ``user``'s diagnostics, and their photos and recordings once the transaction has committed.

    A ``cardoc.hooks.user_erasers`` receiver: the files go only after the commit, so a rollback never
    leaves rows pointing at missing files.
    """
    records = DiagnosticRecord.objects.filter(user=user)
    files = list(_private_files_of(records.only("id", "image", "audio")))
    records.delete()
    transaction.on_commit(lambda: _delete_files(files), robust=True)


def _private_files_of(records: Iterable[DiagnosticRecord]) -> Iterable[tuple[Storage, str]]:
    for record in records:
        for field_file in (record.image, record.audio):
            if field_file:
                yield field_file.storage, field_file.name


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            # The rows are gone already; a file left behind is logged for staff, not worth a 500.
            logger.exception("Could not delete %s of a closed account", name)


# --- Retention ----------------------------------------------------------------------------------------


def _stored_files(storage: Storage, folder: str) -> Iterable[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    yield from (f"{folder}/{name}" for name in files)
    for sub in folders:
        yield from _stored_files(storage, f"{folder}/{sub}")


def orphan_media_prune(*, grace: timedelta, batch_size: int = 500) -> int:
    """Remove drivers' photos and recordings that no diagnostic points to any more; returns how many.

    A deleted diagnostic's files are removed after its transaction commits; a disk error then, or a crash,
    leaves them behind. Files younger than ``grace`` are left alone: their upload may still be committing.
    """
    storage = DiagnosticRecord._meta.get_field("image").storage
    cutoff = timezone.now() - grace
    removed = 0
    candidates = [
        name
        for folder in ("diagnostics/images", "diagnostics/audio")
        for name in _stored_files(storage, folder)
        if storage.get_modified_time(name) < cutoff
    ]
    for start in range(0, len(candidates), batch_size):
        batch = candidates[start : start + batch_size]
        kept = set(DiagnosticRecord.objects.filter(image__in=batch).values_list("image", flat=True))
        kept |= set(DiagnosticRecord.objects.filter(audio__in=batch).values_list("audio", flat=True))
        for name in batch:
            if name not in kept:
                storage.delete(name)
                removed += 1
    return removed
