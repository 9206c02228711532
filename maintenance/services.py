"""Every write of the maintenance app: records, completion and recurrence, repairs from a diagnosis,
reminders and in-app notifications, and the calendar feed token.

The rules, in one place:
- "Today" is the driver's date in their profile's time zone (UTC when they have no profile).
- Status is derived: completed once there is a completed date, overdue when the scheduled date is before
  today, upcoming otherwise.
- A recurring job counts from the day it was done, not the day it was planned. Months are calendar months
  (31 August + 6 months = 28 February). Kilometres set a due reading (the reading when done plus the
  interval) and a date estimated from the car's pace (its service history over at least 30 days, else
  15,000 km a year). With both, whichever comes first.
- A job is due once its date is within the driver's lead time, or its car has reached its due reading;
  it is overdue the day after its date. Each record gets at most one due and one overdue reminder, each
  a notification and an email; moving an open job to another date or reading re-arms them.

Each service opens its transaction with ``with transaction.atomic():`` around its body rather than the
``@transaction.atomic`` decorator. The effect is the same; the form is for the mutation run: mutmut 3 never
mutates a decorated function, so with the decorator not one line of these services was tested for strength.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, BinaryIO, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User, Vehicle
from accounts.services import UNSET, Unset, storage_quota_check
from cardoc import rls
from cardoc.exceptions import ConflictError
from cardoc.models import AuditAction
from cardoc.services import audit_record
from cardoc.sniff import PDF, MediaKind, sniff_file
from cardoc.sync import record_change_of
from cardoc.uploads import exceeded_pixel_limit, megabytes
from catalog.models import SoundSeverity
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult, DiagnosticStatus, Urgency
from directory.models import Mechanic
from maintenance import csvio, dates
from maintenance.models import (
    ATTACHMENT_MAX_BYTES,
    MAX_GARAGES_PER_QUOTE,
    Attachment,
    CalendarFeed,
    FuelEntry,
    MaintenanceRecord,
    MaintenanceType,
    Notification,
    NotificationKind,
    QuoteRequest,
    QuoteStatus,
    ReminderStatus,
    hash_calendar_token,
)

logger = logging.getLogger(__name__)

# How long after the diagnosis a repair is planned, by the result's urgency.
URGENCY_DELAY_DAYS: dict[str, int] = {Urgency.IMMEDIATE: 0, Urgency.SOON: 7, Urgency.MONITORING: 30}
REMINDER_KINDS = (NotificationKind.MAINTENANCE_DUE, NotificationKind.MAINTENANCE_OVERDUE)
TITLE_MAX_LENGTH = MaintenanceRecord._meta.get_field("title").max_length or 200


def _km(reading: int) -> str:
    """A reading as the active language groups digits: 49,999 in English, 49 999 in French."""
    return number_format(reading, force_grouping=True)


def _audit(*, user: User, request: HttpRequest | None, event: str, **details: Any) -> None:
    audit_record(
        action=AuditAction.MAINTENANCE,
        user=user,
        request=request,
        details={"event": event} | {key: str(value) for key, value in details.items() if value is not None},
    )


def _check_plan(
    *, user: User, vehicle: Vehicle | None, cost: Decimal | None, recurrence_km: int | None, due_odometer_km: int | None
) -> None:
    errors: dict[str, str] = {}
    if vehicle is not None and vehicle.user_id != user.pk:
        errors["vehicle"] = gettext("Choose one of your own vehicles.")
    if cost is not None and cost < 0:
        errors["cost"] = gettext("The cost cannot be negative.")
    if recurrence_km and vehicle is None:
        errors["recurrence_km"] = gettext("A mileage interval needs a vehicle, whose odometer it follows.")
    if due_odometer_km is not None and vehicle is None:
        errors["due_odometer_km"] = gettext("A due reading needs a vehicle, whose odometer it follows.")
    if errors:
        raise ValidationError(errors)


# --- Records ----------------------------------------------------------------------------------------


def maintenance_create(
    *,
    user: User,
    id: UUID | None = None,
    maintenance_type: str,
    title: str,
    scheduled_date: date,
    vehicle: Vehicle | None = None,
    notes: str = "",
    cost: Decimal | None = None,
    recurrence_months: int | None = None,
    recurrence_km: int | None = None,
    due_odometer_km: int | None = None,
    garage: Mechanic | None = None,
    request: HttpRequest | None = None,
) -> MaintenanceRecord:
    """Plan a job on one of the driver's cars (or on none in particular); its reminder starts pending."""
    with transaction.atomic():
        _check_plan(user=user, vehicle=vehicle, cost=cost, recurrence_km=recurrence_km, due_odometer_km=due_odometer_km)
        record = MaintenanceRecord.objects.create(
            id=id or uuid.uuid4(),
            user=user,
            vehicle=vehicle,
            maintenance_type=maintenance_type,
            title=title,
            scheduled_date=scheduled_date,
            notes=notes,
            cost=cost,
            recurrence_months=recurrence_months,
            recurrence_km=recurrence_km,
            due_odometer_km=due_odometer_km,
            garage=garage,
            reminder_status=ReminderStatus.PENDING,
        )
        _audit(user=user, request=request, event="created", record=record.pk)
        return record


def maintenance_update(
    *,
    record: MaintenanceRecord,
    maintenance_type: str | Unset = UNSET,
    title: str | Unset = UNSET,
    scheduled_date: date | Unset = UNSET,
    vehicle: Vehicle | Unset | None = UNSET,
    notes: str | Unset = UNSET,
    cost: Decimal | Unset | None = UNSET,
    recurrence_months: int | Unset | None = UNSET,
    recurrence_km: int | Unset | None = UNSET,
    due_odometer_km: int | Unset | None = UNSET,
    garage: Mechanic | Unset | None = UNSET,
    request: HttpRequest | None = None,
) -> MaintenanceRecord:
    """Change the given fields of a record's plan; the others keep their stored value. Moving an open
    job to a new date or reading re-arms its reminders.

    The row is locked and re-read first, and only the changed columns are written: a title edit racing a
    completion can neither erase the cost and notes the completion added nor undo the completion. The
    reminders already sent spoke of the old date, so they are withdrawn from the inbox; the job then reminds
    the driver afresh, within the one-per-kind rule of ``notification_once_per_record_kind``.
    """
    with transaction.atomic():
        # Locked so that neither the reminder job nor a completion can change the row halfway through.
        record = MaintenanceRecord.objects.select_for_update().get(pk=record.pk)
        changes: dict[str, Any] = {
            name: value
            for name, value in {
                "maintenance_type": maintenance_type,
                "title": title,
                "scheduled_date": scheduled_date,
                "vehicle": vehicle,
                "notes": notes,
                "cost": cost,
                "recurrence_months": recurrence_months,
                "recurrence_km": recurrence_km,
                "due_odometer_km": due_odometer_km,
                "garage": garage,
            }.items()
            if value is not UNSET
        }
        _check_plan(
            user=record.user,
            vehicle=changes.get("vehicle", record.vehicle),
            cost=changes.get("cost", record.cost),
            recurrence_km=changes.get("recurrence_km", record.recurrence_km),
            due_odometer_km=changes.get("due_odometer_km", record.due_odometer_km),
        )
        rescheduled = (
            changes.get("scheduled_date", record.scheduled_date) != record.scheduled_date
            or changes.get("due_odometer_km", record.due_odometer_km) != record.due_odometer_km
        )
        for name, value in changes.items():
            setattr(record, name, value)
        fields = list(changes)
        if rescheduled and not record.is_completed:
            record.reminder_status = ReminderStatus.PENDING
            record.reminder_sent_at = None
            record.overdue_notified_at = None
            fields += ["reminder_status", "reminder_sent_at", "overdue_notified_at"]
            record.notifications.filter(kind__in=REMINDER_KINDS).delete()
        record.save(update_fields=[*fields, "updated_at"])
        _audit(user=record.user, request=request, event="updated", record=record.pk)
        return record


def maintenance_delete(*, record: MaintenanceRecord, request: HttpRequest | None = None) -> None:
    """Remove a record; the job that recurred from it keeps its date and forgets the link."""
    with transaction.atomic():
        record_id, user = record.pk, record.user
        record.delete()
        _audit(user=user, request=request, event="deleted", record=record_id)


@dataclass(frozen=True)
class Completion:
    """A completed record and the next one its recurrence scheduled, if any."""

    completed: MaintenanceRecord
    next: MaintenanceRecord | None


def _km_per_day(*, vehicle: Vehicle, done_on: date, reading: int) -> float:
    """The car's pace, from its oldest recorded service reading up to this one."""
    oldest = (
        MaintenanceRecord.objects.filter(
            vehicle=vehicle, completed_date__isnull=False, completed_date__lt=done_on, odometer_km__isnull=False
        )
        .order_by("completed_date")
        .values_list("completed_date", "odometer_km")
        .first()
    )
    if oldest is not None and oldest[0] is not None and oldest[1] is not None:
        pace = dates.km_per_day_between(
            earlier_day=oldest[0], earlier_km=oldest[1], later_day=done_on, later_km=reading
        )
        if pace is not None:
            return pace
    return dates.DEFAULT_KM_PER_DAY


def _schedule_next(
    *, record: MaintenanceRecord, done_on: date, vehicle: Vehicle | None, reading: int | None
) -> MaintenanceRecord:
    """The next occurrence of a recurring job, counted from the day (and reading) it was done."""
    pace = dates.DEFAULT_KM_PER_DAY
    due_km = None
    if record.recurrence_km and reading is not None:
        due_km = reading + record.recurrence_km
        if vehicle is not None:
            pace = _km_per_day(vehicle=vehicle, done_on=done_on, reading=reading)
    try:
        next_date: date | None = dates.next_due_date(
            done_on=done_on, every_months=record.recurrence_months, every_km=record.recurrence_km, km_per_day=pace
        )
    except OverflowError:
        next_date = None
    if next_date is None or next_date > dates.latest_date():
        # Refused rather than clamped to a made-up date: the completion rolls back with it.
        raise ValidationError(
            {
                "recurrence_km": gettext(
                    "At this car's pace the next occurrence would fall after %(latest)s; shorten the interval or "
                    "record a recent reading first."
                )
                % {"latest": f"{dates.latest_date():%Y-%m-%d}"}
            }
        )
    return MaintenanceRecord.objects.create(
        user=record.user,
        vehicle=record.vehicle,
        previous=record,
        maintenance_type=record.maintenance_type,
        title=record.title,
        scheduled_date=next_date,
        recurrence_months=record.recurrence_months,
        recurrence_km=record.recurrence_km,
        due_odometer_km=due_km,
        reminder_status=ReminderStatus.PENDING,
    )


def maintenance_complete(
    *,
    record: MaintenanceRecord,
    completed_date: date | None = None,
    odometer: int | None = None,
    cost: Decimal | None = None,
    notes: str | None = None,
    request: HttpRequest | None = None,
) -> Completion:
    """Mark a job done, move the car's odometer forward and schedule the next one when it recurs.

    A second completion is a conflict rather than a second "next" record. Notes given here are
    added below the existing ones, so the findings of a repair from a diagnosis are kept.
    """
    with transaction.atomic():
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the profile.
        record = (
            MaintenanceRecord.objects.select_for_update(of=("self",)).select_related("user__profile").get(pk=record.pk)
        )
        if record.is_completed:
            raise ConflictError(gettext("This maintenance item is already completed."), code="already_completed")
        vehicle = Vehicle.objects.select_for_update().get(pk=record.vehicle_id) if record.vehicle_id else None

        today = dates.local_today(record.user)
        done_on = completed_date or today
        errors: dict[str, str] = {}
        if done_on > today:
            errors["completed_date"] = gettext("The completed date cannot be in the future (today is %(today)s).") % {
                "today": f"{today:%Y-%m-%d}"
            }
        if odometer is not None and vehicle is not None and odometer < vehicle.odometer_km:
            errors["odometer"] = gettext(
                "The odometer reading of %(new)s km is lower than this vehicle's last known reading of %(last)s km. "
                "Odometers only go forward."
            ) % {"new": _km(odometer), "last": _km(vehicle.odometer_km)}
        if cost is not None and cost < 0:
            errors["cost"] = gettext("The cost cannot be negative.")
        if errors:
            raise ValidationError(errors)

        record.completed_date = done_on
        record.reminder_status = ReminderStatus.COMPLETED
        if odometer is not None:
            record.odometer_km = odometer
        if cost is not None:
            record.cost = cost
        if notes:
            record.notes = f"{record.notes}\n\n{notes}" if record.notes else notes
        record.save()

        if vehicle is not None and odometer is not None and odometer > vehicle.odometer_km:
            vehicle.odometer_km = odometer
            vehicle.save(update_fields=["odometer_km", "updated_at"])
        # The reminders asked for something that is now done; they stay in the inbox, read.
        record.notifications.filter(is_read=False, kind__in=REMINDER_KINDS).update(is_read=True, read_at=timezone.now())

        next_record = None
        if record.recurs:
            reading = (
                odometer if odometer is not None else (vehicle.odometer_km if vehicle and vehicle.odometer_km else None)
            )
            next_record = _schedule_next(record=record, done_on=done_on, vehicle=vehicle, reading=reading)
        _audit(
            user=record.user,
            request=request,
            event="completed",
            record=record.pk,
            next_record=next_record.pk if next_record else None,
        )
        return Completion(completed=record, next=next_record)


# --- Repairs from a diagnosis -----------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One distinct fault a diagnosis found, with what the catalog says about it."""

    name: str
    confidence: float
    causes: list[str]
    repairs: list[str]


def _findings(diagnostic: DiagnosticRecord) -> list[Finding]:
    detections = (
        Detection.objects.filter(result__record=diagnostic)
        .select_related("warning_light", "engine_sound", "trouble_code")
        .order_by("-confidence", "pk")
    )
    findings: dict[str, Finding] = {}
    for detection in detections:
        entry = detection.entry
        # A healthy engine sound is a finding of nothing to repair.
        if entry is None or (detection.engine_sound and detection.engine_sound.severity == SoundSeverity.NORMAL):
            continue
        if entry.code not in findings:  # detections come most confident first, so the first one wins
            findings[entry.code] = Finding(
                name=entry.name,
                confidence=detection.confidence,
                causes=[str(cause) for cause in entry.common_causes or []],
                repairs=[str(step) for step in entry.repair_suggestions or []],
            )
    return list(findings.values())


def _repair_title(diagnostic: DiagnosticRecord, findings: list[Finding]) -> str:
    if not findings:
        return f"Check-up after your {diagnostic.get_diagnostic_type_display().lower()}"
    title = "Repair: " + ", ".join(finding.name for finding in findings)
    return title if len(title) <= TITLE_MAX_LENGTH else title[: TITLE_MAX_LENGTH - 1].rstrip(", ") + "…"


def _repair_notes(diagnostic: DiagnosticRecord, urgency: str, findings: list[Finding]) -> str:
    kind = diagnostic.get_diagnostic_type_display().lower()
    paragraphs = [f"From the {kind} of {diagnostic.created_at:%Y-%m-%d} (urgency: {Urgency(urgency).label.lower()})."]
    for finding in findings:
        lines = [f"{finding.name} (detected with {finding.confidence:.0%} confidence)"]
        if finding.causes:
            lines.append("Likely causes: " + "; ".join(finding.causes))
        if finding.repairs:
            lines.append("Suggested repairs: " + "; ".join(finding.repairs))
        paragraphs.append("\n".join(lines))
    if not findings:
        paragraphs.append("The analysis found no fault to repair; have the car looked at if the symptom persists.")
    return "\n\n".join(paragraphs)


def maintenance_create_from_diagnostic(
    *, user: User, diagnostic: DiagnosticRecord, request: HttpRequest | None = None
) -> tuple[MaintenanceRecord, bool]:
    """Turn a completed diagnosis into a corrective job dated by its urgency; returns (record, created).

    A diagnosis gives at most one repair item (``maintenance_one_corrective_per_diagnostic``), so a
    retried call returns the first one instead of a duplicate.
    """
    with transaction.atomic():
        if diagnostic.user_id != user.pk:
            raise Http404
        existing = MaintenanceRecord.objects.filter(diagnostic=diagnostic, maintenance_type=MaintenanceType.CORRECTIVE)
        if (record := existing.first()) is not None:
            return record, False
        if diagnostic.status != DiagnosticStatus.COMPLETED:
            state = diagnostic.get_status_display().lower()
            raise ConflictError(
                gettext("Only a completed diagnosis can become a repair item; this one is %(state)s.")
                % {"state": state},
                code="diagnostic_not_completed",
            )
        result = getattr(diagnostic, "result", None)
        if result is None:
            raise ConflictError(gettext("This diagnosis has no result to act on."), code="diagnostic_without_result")

        findings = _findings(diagnostic)
        scheduled = dates.local_today(user) + timedelta(days=URGENCY_DELAY_DAYS[result.urgency])
        try:
            with transaction.atomic():
                record = MaintenanceRecord.objects.create(
                    user=user,
                    vehicle=diagnostic.vehicle,
                    diagnostic=diagnostic,
                    maintenance_type=MaintenanceType.CORRECTIVE,
                    title=_repair_title(diagnostic, findings),
                    notes=_repair_notes(diagnostic, result.urgency, findings),
                    scheduled_date=scheduled,
                    reminder_status=ReminderStatus.PENDING,
                )
                _audit(
                    user=user,
                    request=request,
                    event="created_from_diagnostic",
                    record=record.pk,
                    diagnostic=diagnostic.pk,
                )
        except IntegrityError:
            # A concurrent call made it first; the constraint guarantees there is exactly one.
            return existing.get(), False
        return record, True


# --- Reminders ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRun:
    """What one run of the reminder job sent."""

    due: int = 0
    overdue: int = 0


def _vehicle_phrase(record: MaintenanceRecord) -> str:
    return f" for {record.vehicle}" if record.vehicle else ""


def _in_days(days: int) -> str:
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")


def _due_message(record: MaintenanceRecord, *, today: date, km_reached: bool) -> tuple[str, str]:
    days = (record.scheduled_date - today).days
    if km_reached and days > 0:
        title = f"{record.title} due: {record.due_odometer_km:,} km reached"
    else:
        title = f"{record.title} due {_in_days(days)}"
    body = f"{record.title}{_vehicle_phrase(record)} is scheduled for {record.scheduled_date:%A %d %B %Y}"
    if record.due_odometer_km:
        body += f" or {record.due_odometer_km:,} km, whichever comes first"
    return title, body + ". Mark it done in CarDoc AI once it is."


def _overdue_message(record: MaintenanceRecord) -> tuple[str, str]:
    title = f"{record.title} is overdue"
    body = (
        f"{record.title}{_vehicle_phrase(record)} was scheduled for {record.scheduled_date:%A %d %B %Y}. "
        "Mark it done in CarDoc AI if it is, or move it to a new date."
    )
    return title, body


def _email(user: User, subject: str, body: str) -> None:
    profile = getattr(user, "profile", None)
    greeting = f"Hello {profile.full_name}," if profile and profile.full_name else "Hello,"
    # A title typed with a line break would be a header injection to Django, which refuses to send it.
    subject = " ".join(subject.split())
    try:
        send_mail(subject, f"{greeting}\n\n{body}\n\nThe CarDoc AI team\n", None, [user.email])
    except Exception:
        # The in-app notification is already stored; a mail outage must not stop the other reminders.
        logger.exception("Could not email a maintenance reminder to user %s", user.pk)


def _claim_and_notify(
    *, record: MaintenanceRecord, kind: str, claim: Q, mark: dict[str, Any], title: str, body: str
) -> bool:
    """Claim the record with a conditional UPDATE, store the notification, commit, then email.

    The UPDATE's row count decides which worker sends: on PostgreSQL the loser waits on the row lock
    and then re-checks the condition; on SQLite the IMMEDIATE transaction serialises the writers. The
    claim commits before the email goes, so a crash can lose an email but never send one twice.
    """
    with transaction.atomic():
        claimed = (
            MaintenanceRecord.objects.filter(
                claim, pk=record.pk, completed_date__isnull=True, scheduled_date=record.scheduled_date
            ).update(**mark)
            == 1
        )
        if not claimed:
            return False
        try:
            with transaction.atomic():
                Notification.objects.create(
                    user=record.user, kind=kind, title=title[:TITLE_MAX_LENGTH], body=body, maintenance_record=record
                )
        except IntegrityError:
            # notification_once_per_record_kind: the driver was already told; keep the claim and stay quiet.
            logger.warning("Maintenance record %s already has a %s notification", record.pk, kind)
            return False
    _email(record.user, title, body)
    return True


def reminders_send(*, now: datetime | None = None) -> ReminderRun:
    """Send the due and overdue reminders that are owed now, each driver by their own calendar.

    A record is due once its date is within the driver's lead time (or its car has reached its due
    reading) and overdue once its date has passed. Each record is claimed in its own transaction, so
    two workers running at once send every reminder exactly once, and one failure spoils no other.
    """
    now = now or timezone.now()
    utc_today = now.astimezone(UTC).date()
    # A coarse bound in SQL (a driver's date is at most a day off UTC's, their lead at most
    # MAX_LEAD_DAYS); each candidate is then judged on the driver's own date and lead.
    candidates = (
        MaintenanceRecord.objects.open()
        .filter(user__status=User.Status.ACTIVE)
        .filter(
            Q(
                reminder_status=ReminderStatus.PENDING,
                scheduled_date__lte=utc_today + timedelta(days=dates.MAX_LEAD_DAYS + 1),
            )
            | Q(reminder_status=ReminderStatus.PENDING, due_odometer_km__lte=F("vehicle__odometer_km"))
            | Q(overdue_notified_at__isnull=True, scheduled_date__lte=utc_today)
        )
        .select_related("user__profile", "vehicle")
        .order_by("scheduled_date", "pk")
    )
    due = overdue = 0
    # Read in full before writing: the horizon keeps the list short, and SQLite dislikes writes
    # on a connection that still has a read cursor open.
    for record in list(candidates):
        today = dates.local_today(record.user, now=now)
        if record.scheduled_date < today:
            if record.overdue_notified_at is None:
                title, body = _overdue_message(record)
                # An item that went overdue before its due reminder left gets only this one.
                mark = {
                    "overdue_notified_at": now,
                    "reminder_status": ReminderStatus.SENT,
                    "reminder_sent_at": Coalesce(F("reminder_sent_at"), Value(now)),
                }
                claim = Q(overdue_notified_at__isnull=True)
                overdue += _claim_and_notify(
                    record=record,
                    kind=NotificationKind.MAINTENANCE_OVERDUE,
                    claim=claim,
                    mark=mark,
                    title=title,
                    body=body,
                )
            continue
        if record.reminder_status != ReminderStatus.PENDING:
            continue
        km_reached = bool(
            record.vehicle
            and record.due_odometer_km is not None
            and record.vehicle.odometer_km >= record.due_odometer_km
        )
        if km_reached or record.scheduled_date <= today + timedelta(days=dates.user_lead_days(record.user)):
            title, body = _due_message(record, today=today, km_reached=km_reached)
            mark = {"reminder_status": ReminderStatus.SENT, "reminder_sent_at": now}
            claim = Q(reminder_status=ReminderStatus.PENDING)
            due += _claim_and_notify(
                record=record, kind=NotificationKind.MAINTENANCE_DUE, claim=claim, mark=mark, title=title, body=body
            )
    return ReminderRun(due=due, overdue=overdue)


# --- Diagnostic outcomes ------------------------------------------------------------------------------

URGENCY_ADVICE: dict[str, StrPromise] = {
    Urgency.IMMEDIATE: gettext_lazy("Immediate: stop safely and get help now."),
    Urgency.SOON: gettext_lazy("Soon: have it repaired in the next few days."),
    Urgency.MONITORING: gettext_lazy("Monitoring: nothing urgent; keep an eye on it."),
}
SEVERITY_RANK = {"critical": 0, "moderate": 1}


def driver_language(user: User) -> str:
    """The language to write to ``user`` in: their profile's locale (fr-CM reads French), else the default."""
    profile = getattr(user, "profile", None)
    locale = getattr(profile, "locale", "") or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(locale)
    except LookupError:
        return settings.LANGUAGE_CODE


def _top_finding(record: DiagnosticRecord) -> Detection | None:
    """The finding the driver should hear of first: the most severe, then the surest."""
    detections = Detection.objects.filter(result__record=record).select_related(
        "warning_light", "engine_sound", "trouble_code"
    )
    return min(
        detections,
        key=lambda d: (SEVERITY_RANK.get(d.entry.severity, 2), -d.confidence),
        default=None,
    )


def _finding_name(detection: Detection) -> str:
    """What the inbox calls the finding, in the active language where translated."""
    if detection.trouble_code is not None:
        return f"{detection.trouble_code.code} {detection.trouble_code.meaning}"
    return str(detection.entry.name)


def diagnostic_notify(*, record: DiagnosticRecord) -> Notification | None:
    """Put "your diagnosis is ready" (or "it failed") in the driver's inbox, in the driver's language.

    A ``cardoc.hooks.diagnostic_finished`` receiver, run in the transaction that stores the outcome. A
    diagnostic has one such message: a re-analysis replaces it (unread again) with the new outcome.
    """
    if record.status not in (DiagnosticStatus.COMPLETED, DiagnosticStatus.FAILED):
        return None
    user = record.user
    with translation.override(driver_language(user)):
        if record.status == DiagnosticStatus.FAILED:
            kind = NotificationKind.DIAGNOSTIC_FAILED
            title = gettext("Your diagnosis could not be completed")
            body = gettext("We could not analyse what you sent. Open the diagnostic to send it for analysis again.")
        else:
            kind = NotificationKind.DIAGNOSTIC_COMPLETED
            result = DiagnosticResult.objects.filter(record=record).only("urgency").first()
            urgency = result.urgency if result is not None else Urgency.MONITORING
            advice = str(URGENCY_ADVICE.get(urgency) or URGENCY_ADVICE[Urgency.MONITORING])
            top = _top_finding(record)
            if top is None:
                title = gettext("Your diagnosis is ready: nothing recognised")
                body = gettext("No warning light or engine fault was recognised. %(advice)s") % {"advice": advice}
            else:
                name = _finding_name(top)
                title = gettext("Your diagnosis is ready: %(finding)s") % {"finding": name}
                body = gettext("Found: %(finding)s (%(confidence)s%% sure). %(advice)s") % {
                    "finding": name,
                    "confidence": round(top.confidence * 100),
                    "advice": advice,
                }
    Notification.objects.filter(diagnostic=record).delete()
    return Notification.objects.create(
        user=user, kind=kind, title=title[:TITLE_MAX_LENGTH], body=body, diagnostic=record
    )


# --- Notifications ------------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read; reading it again keeps the first read time."""
    with transaction.atomic():
        if not notification.is_read:
            notification.is_read = True
            notification.read_at = timezone.now()
            notification.save(update_fields=["is_read", "read_at"])
        return notification


def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    with transaction.atomic():
        # Locked first, so a notification sent meanwhile is not marked read unseen; and listed, because an
        # UPDATE sends no signal: each row is logged for the phones' change feed one by one.
        unread = list(
            Notification.objects.visible_to(user).filter(is_read=False).select_for_update().values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=unread).update(is_read=True, read_at=timezone.now())
        for pk in unread:
            record_change_of(Notification, pk)
        return len(unread)


# --- Calendar feed -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCalendarToken:
    """A fresh feed token: the only moment the clear token exists outside the driver's calendar app."""

    feed: CalendarFeed
    token: str
    created: bool


def calendar_token_reset(*, user: User, request: HttpRequest | None = None) -> IssuedCalendarToken:
    """Make the driver's feed token, or replace it so the old feed URL stops working at once."""
    with transaction.atomic():
        token = secrets.token_urlsafe(32)
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            user=user, defaults={"token_hash": hash_calendar_token(token)}
        )
        if not created:
            feed.token_hash = hash_calendar_token(token)
            feed.reset_at = timezone.now()
            feed.save(update_fields=["token_hash", "reset_at"])
        _audit(user=user, request=request, event="calendar_token_created" if created else "calendar_token_reset")
        return IssuedCalendarToken(feed=feed, token=token, created=created)


def calendar_feed_delete(*, user: User, request: HttpRequest | None = None) -> bool:
    """Switch the driver's calendar feed off; returns whether there was one."""
    with transaction.atomic():
        deleted, _ = CalendarFeed.objects.filter(user=user).delete()
        if deleted:
            _audit(user=user, request=request, event="calendar_feed_deleted")
        return bool(deleted)


# --- Closing an account -----------------------------------------------------------------------------


def user_maintenance_erase(*, user: User) -> None:
    """Delete ``user``'s notifications and maintenance records (a ``cardoc.hooks.user_erasers`` receiver)."""
    with transaction.atomic():
        Notification.objects.filter(user=user).delete()
        MaintenanceRecord.objects.filter(user=user).delete()


# --- Reviews of a visit -----------------------------------------------------------------------------


def is_completed_visit(*, user: User, mechanic: Mechanic, visit_id: UUID) -> bool:
    """The directory's visit check (``cardoc.hooks.visit_verifiers``): the user's completed job at that garage."""
    return MaintenanceRecord.objects.filter(
        pk=visit_id, user=user, garage=mechanic, completed_date__isnull=False
    ).exists()


# --- Quote requests ---------------------------------------------------------------------------------


def _vehicle_label(vehicle: Vehicle | None) -> str:
    return "" if vehicle is None else f"{vehicle.make} {vehicle.model} ({vehicle.year})"


def _finding_text(diagnostic: DiagnosticRecord, findings: list[Finding], urgency: str) -> str:
    lines = [f"Urgency: {Urgency(urgency).label.lower()}."]
    for finding in findings:
        line = f"{finding.name} (detected with {finding.confidence:.0%} confidence)"
        if finding.causes:
            line += ". Likely causes: " + "; ".join(finding.causes)
        lines.append(line)
    if not findings:
        lines.append("The analysis found no specific fault; the driver asks for a check-up.")
    return "\n".join(lines)


def quote_requests_send(
    *,
    user: User,
    diagnostic: DiagnosticRecord,
    mechanics: list[Mechanic],
    message: str = "",
    share_photo: bool = False,
    request: HttpRequest | None = None,
) -> list[QuoteRequest]:
    """Ask up to MAX_GARAGES_PER_QUOTE garages, in all, for a quote for the repair a diagnosis found.

    The diagnosis row is locked, so two concurrent calls cannot go past the limit between them.
    """
    with transaction.atomic():
        locked = DiagnosticRecord.objects.select_for_update().get(pk=diagnostic.pk)
        if locked.user_id != user.pk:
            raise Http404
        if locked.status != DiagnosticStatus.COMPLETED or getattr(locked, "result", None) is None:
            raise ConflictError(
                gettext("Only a completed diagnosis can be sent to garages for a quote."),
                code="diagnostic_not_completed",
            )
        wanted = list(dict.fromkeys(mechanics))
        if not wanted:
            raise ValidationError({"mechanics": gettext("Choose at least one garage.")})
        already = set(QuoteRequest.objects.filter(diagnostic=locked).values_list("mechanic_id", flat=True))
        if repeated := [m.business_name for m in wanted if m.pk in already]:
            raise ValidationError(
                {"mechanics": gettext("Already asked: %(garages)s.") % {"garages": ", ".join(repeated)}}
            )
        if len(already) + len(wanted) > MAX_GARAGES_PER_QUOTE:
            left = MAX_GARAGES_PER_QUOTE - len(already)
            raise ValidationError(
                {
                    "mechanics": gettext("Ask at most %(most)d garages per diagnosis; %(left)d more are possible.")
                    % {"most": MAX_GARAGES_PER_QUOTE, "left": left}
                }
            )
        if share_photo and not locked.image:
            raise ValidationError({"share_photo": gettext("This diagnosis has no photo to share.")})
        findings = _findings(locked)
        repair = _repair_title(locked, findings)
        finding = _finding_text(locked, findings, locked.result.urgency)
        created = QuoteRequest.objects.bulk_create(
            QuoteRequest(
                user=user,
                diagnostic=locked,
                mechanic=mechanic,
                repair=repair,
                finding=finding,
                vehicle=_vehicle_label(locked.vehicle),
                message=message.strip(),
                share_photo=share_photo,
                currency=mechanic.currency,
            )
            for mechanic in wanted
        )
        _audit(
            user=user,
            request=request,
            event="quote_requested",
            diagnostic=locked.pk,
            mechanics=[str(m.pk) for m in wanted],
            share_photo=share_photo,
        )
        return created


def quote_answer(
    *,
    quote: QuoteRequest,
    user: User,
    price: Decimal | None,
    available_on: date | None,
    message: str = "",
    decline: bool = False,
    request: HttpRequest | None = None,
) -> QuoteRequest:
    """The garage answers with a price and a date (or declines); the driver gets a notification."""
    with transaction.atomic():
        locked = QuoteRequest.objects.select_for_update().select_related("mechanic").get(pk=quote.pk)
        if not locked.mechanic.is_editable_by(user):
            raise Http404
        if locked.status != QuoteStatus.PENDING:
            raise ConflictError(gettext("This request has been answered already."), code="quote_answered")
        if decline:
            locked.status, locked.price, locked.available_on = QuoteStatus.DECLINED, None, None
        else:
            errors = {}
            if price is None or price < 0:
                errors["price"] = gettext("Give your price for the job.")
            if available_on is None:
                errors["available_on"] = gettext("Give the day you can do the job.")
            elif available_on < timezone.localdate(timezone.now(), ZoneInfo(locked.mechanic.time_zone)):
                errors["available_on"] = gettext("Give a day from today on.")
            if errors:
                raise ValidationError(errors)
            locked.status, locked.price, locked.available_on = QuoteStatus.ANSWERED, price, available_on
        locked.garage_message = message.strip()
        locked.currency = locked.mechanic.currency
        locked.answered_by, locked.answered_at = user, timezone.now()
        locked.save()
        garage = locked.mechanic.business_name
        if decline:
            title, body = (
                f"{garage} cannot take the job",
                locked.garage_message or f"{garage} declined: {locked.repair}.",
            )
        else:
            title = f"{garage} quoted {locked.price:,.0f} {locked.currency}"
            body = f"{locked.repair}: {locked.price:,.2f} {locked.currency}, on {locked.available_on:%A %d %B %Y}."
            if locked.garage_message:
                body += f"\n\n{locked.garage_message}"
        # The inbox row is the driver's; the garage may add this one only, through an audited bypass.
        with rls.bypass(reason="quote_answered_notification"):
            Notification.objects.create(
                user=locked.user,
                kind=NotificationKind.QUOTE_ANSWERED,
                title=title[:200],
                body=body,
                quote_request=locked,
            )
        driver = locked.user
        # Mailed once the answer is stored for good, like the reminders; the in-app notification is what counts.
        transaction.on_commit(lambda: _email(driver, title, body))
        audit_record(
            action=AuditAction.MECHANIC_LISTING,
            user=user,
            request=request,
            details={"quote_request": str(locked.pk), "mechanic_id": str(locked.mechanic_id), "status": locked.status},
        )
        return locked


# --- Fuel log -------------------------------------------------------------------------------------


def _check_reading(*, vehicle: Vehicle, on: date, odometer_km: int, exclude: FuelEntry | None = None) -> None:
    """Refuse a fill-up reading that goes backwards against the car's other dated readings.

    A reading is compared with the fill-ups and completed jobs of other days: none earlier may be higher,
    none later lower. A back-dated fill-up (logged from an old receipt) is fine as long as it fits.
    """
    fills = FuelEntry.objects.filter(vehicle=vehicle)
    if exclude is not None:
        fills = fills.exclude(pk=exclude.pk)
    jobs = MaintenanceRecord.objects.filter(vehicle=vehicle, completed_date__isnull=False, odometer_km__isnull=False)
    earlier = [
        *fills.filter(filled_on__lt=on, odometer_km__gt=odometer_km).values_list("filled_on", "odometer_km")[:1],
        *jobs.filter(completed_date__lt=on, odometer_km__gt=odometer_km).values_list("completed_date", "odometer_km")[
            :1
        ],
    ]
    if earlier:
        day, km = max(earlier, key=lambda item: item[1] or 0)
        raise ValidationError(
            {
                "odometer_km": gettext(
                    "The odometer reading of %(new)s km is lower than the %(km)s km read on %(day)s, before this "
                    "fill-up. Odometers only go forward."
                )
                % {"new": _km(odometer_km), "km": _km(cast(int, km)), "day": f"{day:%Y-%m-%d}"}
            }
        )
    later = [
        *fills.filter(filled_on__gt=on, odometer_km__lt=odometer_km).values_list("filled_on", "odometer_km")[:1],
        *jobs.filter(completed_date__gt=on, odometer_km__lt=odometer_km).values_list("completed_date", "odometer_km")[
            :1
        ],
    ]
    if later:
        day, km = min(later, key=lambda item: item[1] or 0)
        raise ValidationError(
            {
                "odometer_km": gettext(
                    "The odometer reading of %(new)s km is higher than the %(km)s km read later, on %(day)s. "
                    "Odometers only go forward."
                )
                % {"new": _km(odometer_km), "km": _km(cast(int, km)), "day": f"{day:%Y-%m-%d}"}
            }
        )


def _advance_odometer(vehicle: Vehicle, odometer_km: int) -> None:
    """Move the car's odometer forward to ``odometer_km``; a lower reading never moves it back."""
    Vehicle.objects.filter(pk=vehicle.pk, odometer_km__lt=odometer_km).update(
        odometer_km=odometer_km, updated_at=timezone.now()
    )


def fuel_entry_create(
    *,
    user: User,
    vehicle: Vehicle,
    filled_on: date,
    odometer_km: int,
    litres: Decimal,
    total_cost: Decimal,
    is_full: bool = True,
    station: str = "",
    notes: str = "",
    import_key: str = "",
    id: UUID | None = None,
    request: HttpRequest | None = None,
) -> FuelEntry:
    """Log a fill-up of one of the driver's cars; its reading must fit the car's history."""
    with transaction.atomic():
        if vehicle.user_id != user.pk:
            raise ValidationError({"vehicle": gettext("Choose one of your own vehicles.")})
        # Lock the car, so two fill-ups logged at once are checked against each other.
        vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
        _check_reading(vehicle=vehicle, on=filled_on, odometer_km=odometer_km)
        entry = FuelEntry(
            id=id or uuid.uuid4(),  # a phone that logged it offline chose the id (see cardoc.sync)
            user=user,
            vehicle=vehicle,
            filled_on=filled_on,
            odometer_km=odometer_km,
            litres=litres,
            total_cost=total_cost,
            is_full=is_full,
            station=station,
            notes=notes,
            import_key=import_key,
        )
        entry.full_clean()
        entry.save(force_insert=True)
        _advance_odometer(vehicle, odometer_km)
        _audit(user=user, request=request, event="fuel_logged", fuel_entry=entry.pk, vehicle=vehicle.pk)
        return entry


FUEL_FIELDS = ("filled_on", "odometer_km", "litres", "total_cost", "is_full", "station", "notes")


def fuel_entry_update(*, entry: FuelEntry, request: HttpRequest | None = None, **changes: Any) -> FuelEntry:
    """Change the given fields of a fill-up (its car stays the same); the reading must still fit."""
    with transaction.atomic():
        unknown = set(changes) - set(FUEL_FIELDS)
        if unknown:
            raise ValidationError(dict.fromkeys(sorted(unknown), gettext("This field cannot be changed.")))
        vehicle = Vehicle.objects.select_for_update().get(pk=entry.vehicle_id)
        entry = FuelEntry.objects.select_for_update().get(pk=entry.pk)
        for name, value in changes.items():
            setattr(entry, name, value)
        if {"filled_on", "odometer_km"} & set(changes):
            _check_reading(vehicle=vehicle, on=entry.filled_on, odometer_km=entry.odometer_km, exclude=entry)
        entry.full_clean()
        entry.save(update_fields=[*changes, "updated_at"])
        _advance_odometer(vehicle, entry.odometer_km)
        _audit(user=entry.user, request=request, event="fuel_updated", fuel_entry=entry.pk)
        return entry


def fuel_entry_delete(*, entry: FuelEntry, request: HttpRequest | None = None) -> None:
    """Remove a fill-up; its attachments go with it (their files: ``attachment_file_discard_on_delete``)."""
    with transaction.atomic():
        _audit(user=entry.user, request=request, event="fuel_deleted", fuel_entry=entry.pk)
        entry.delete()


# --- Attachments ----------------------------------------------------------------------------------

ATTACHMENT_TYPES = "JPEG, PNG, WebP or PDF"


def user_storage_used(*, user: User) -> int:
    """Bytes of the receipts and photos ``user``'s records keep (registered on hooks.storage_usage)."""
    return Attachment.objects.filter(user=user).aggregate(total=Sum("size_bytes"))["total"] or 0


def _checked_attachment(file: UploadedFile) -> MediaKind:
    if file.size is not None and file.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": gettext("The file is %(size)s; attachments may take at most %(most)s.")
                % {"size": megabytes(file.size), "most": megabytes(ATTACHMENT_MAX_BYTES)}
            }
        )
    binary = cast(BinaryIO, file)
    kind = sniff_file(binary)
    if kind is None or not (kind.is_image or kind == PDF):
        raise ValidationError(
            {"file": gettext("An attachment must be a %(types)s file.") % {"types": ATTACHMENT_TYPES}}
        )
    if kind.is_image and (limit := exceeded_pixel_limit(binary)) is not None:
        raise ValidationError(
            {
                "file": gettext("The image has more than %(limit)s pixels; send a smaller photo.")
                % {"limit": f"{limit:,}"}
            }
        )
    return kind


def attachment_add(
    *,
    user: User,
    file: UploadedFile,
    maintenance_record: MaintenanceRecord | None = None,
    fuel_entry: FuelEntry | None = None,
    request: HttpRequest | None = None,
) -> Attachment:
    """Keep a receipt or photo with one of the driver's records, in the private storage under our own name."""
    with transaction.atomic():
        parent = maintenance_record or fuel_entry
        if parent is None or (maintenance_record is not None and fuel_entry is not None):
            raise ValueError("An attachment belongs to exactly one maintenance record or fill-up.")
        if parent.user_id != user.pk:
            raise ValidationError(gettext("Attach files to your own records."))
        kind = _checked_attachment(file)
        size = file.size or 0
        # Inside this function's transaction and before the file is written: a refused upload stores nothing.
        storage_quota_check(user=user, incoming_bytes=size)
        attachment = Attachment(
            user=user,
            maintenance_record=maintenance_record,
            fuel_entry=fuel_entry,
            content_type=kind.content_type,
            size_bytes=size,
            original_name=(file.name or "")[-200:],
        )
        # The phone's file name never reaches the disk; it is kept only as a label.
        attachment.file.save(f"{attachment.pk}.{kind.extension}", file, save=False)
        try:
            with transaction.atomic():
                attachment.save(force_insert=True)
                _audit(user=user, request=request, event="attachment_added", attachment=attachment.pk)
        except BaseException:
            _discard_file(attachment.file.storage, attachment.file.name)
            raise
        return attachment


def attachment_delete(*, attachment: Attachment, request: HttpRequest | None = None) -> None:
    """Remove an attachment; its file goes once the deletion commits (see ``attachment_file_discard_on_delete``)."""
    with transaction.atomic():
        _audit(user=attachment.user, request=request, event="attachment_deleted", attachment=attachment.pk)
        attachment.delete()


def _discard_file(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("Could not delete the private file %s", name)


def attachment_file_discard_on_delete(*, attachment: Attachment) -> None:
    """Remove a deleted attachment's file once the deletion commits, however it was deleted: the API, the
    admin, or a cascade from its record, fill-up, car or account (connected to ``post_delete``)."""
    if attachment.file:
        transaction.on_commit(partial(_discard_file, attachment.file.storage, attachment.file.name))


# --- CSV import -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import created (or, in a dry run, would create), what it skipped and why."""

    kind: str
    dry_run: bool
    created: list[dict[str, Any]]
    duplicates: list[int]
    errors: list[dict[str, Any]]

    @property
    def committed(self) -> bool:
        return not self.dry_run and not self.errors


def _import_row(*, user: User, vehicle: Vehicle, kind: str, row: csvio.ParsedRow, key: str) -> dict[str, Any]:
    values = row.values
    if kind == csvio.ImportKind.FUEL:
        entry = fuel_entry_create(
            user=user,
            vehicle=vehicle,
            filled_on=values["on"],
            odometer_km=values["odometer_km"],
            litres=values["litres"].quantize(Decimal("0.001")),
            total_cost=values["cost"].quantize(Decimal("0.01")),
            is_full=values["is_full"],
            notes=values["notes"],
            import_key=key,
        )
        return {
            "row": row.number,
            "type": "fill_up",
            "id": str(entry.pk),
            "date": entry.filled_on.isoformat(),
            "odometer_km": entry.odometer_km,
            "litres": str(entry.litres),
            "cost": str(entry.total_cost),
        }
    record = MaintenanceRecord(
        user=user,
        vehicle=vehicle,
        maintenance_type=MaintenanceType.CORRECTIVE if kind == csvio.ImportKind.REPAIR else MaintenanceType.SCHEDULED,
        title=values["title"],
        scheduled_date=values["on"],
        completed_date=values["on"],
        reminder_status=ReminderStatus.COMPLETED,
        odometer_km=values.get("odometer_km"),
        cost=values["cost"].quantize(Decimal("0.01")),
        notes=values["notes"],
        import_key=key,
    )
    record.full_clean()
    record.save(force_insert=True)
    if record.odometer_km is not None:
        _advance_odometer(vehicle, record.odometer_km)
    return {
        "row": row.number,
        "type": "maintenance",
        "id": str(record.pk),
        "date": values["on"].isoformat(),
        "title": record.title,
        "odometer_km": record.odometer_km,
        "cost": str(record.cost),
    }


def _natural_key(kind: str, values: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two records of one car the same: the day, and the reading and litres, or the title and cost."""
    if kind == csvio.ImportKind.FUEL:
        return (values["on"], values["odometer_km"], Decimal(values["litres"]).quantize(Decimal("0.001")))
    return (values["on"], values["title"].strip().lower(), Decimal(values["cost"]).quantize(Decimal("0.01")))


def _natural_keys(*, vehicle: Vehicle, kind: str) -> set[tuple[Any, ...] | None]:
    if kind == csvio.ImportKind.FUEL:
        fills = FuelEntry.objects.filter(vehicle=vehicle).values_list("filled_on", "odometer_km", "litres")
        return {_natural_key(kind, {"on": on, "odometer_km": km, "litres": litres}) for on, km, litres in fills}
    jobs = MaintenanceRecord.objects.filter(vehicle=vehicle, completed_date__isnull=False, cost__isnull=False)
    return {
        _natural_key(kind, {"on": on, "title": title, "cost": cost})
        for on, title, cost in jobs.values_list("completed_date", "title", "cost")
    }


def _messages(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {name: " ".join(str(m) for m in errors[0].messages) for name, errors in exc.error_dict.items()}
    return {"row": " ".join(exc.messages)}


def garage_import(
    *,
    user: User,
    vehicle: Vehicle,
    content: bytes,
    options: csvio.ImportOptions,
    commit: bool = False,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Import a LubeLogger CSV export into one of the driver's cars; a dry run unless ``commit``.

    Every row goes through the same services as the API (so a reading that goes backwards is refused the
    same way), inside one transaction that a dry run, or any row error, rolls back: an import is all or
    nothing. A row already imported (same car, same content) is a duplicate and is skipped, so running the
    same file twice creates nothing the second time.
    """
    with transaction.atomic():
        if vehicle.user_id != user.pk:
            raise ValidationError({"vehicle": gettext("Choose one of your own vehicles.")})
        try:
            rows = list(csvio.read_rows(content, options))
        except csvio.ImportFileError as exc:
            raise ValidationError({"file": str(exc)}) from exc
        keys = {row.number: row.fingerprint(vehicle_id=vehicle.pk, kind=options.kind) for row in rows}
        model = FuelEntry if options.kind == csvio.ImportKind.FUEL else MaintenanceRecord
        seen = set(model.objects.filter(user=user, import_key__in=keys.values()).values_list("import_key", flat=True))
        # A row that matches a record the car already has (logged by hand, or exported from here) is one too.
        existing = _natural_keys(vehicle=vehicle, kind=options.kind)
        report = ImportReport(kind=options.kind, dry_run=not commit, created=[], duplicates=[], errors=[])
        # Oldest first, so a car's readings are checked in the order they were taken.
        for row in sorted(rows, key=lambda r: (r.values.get("on") or date.min, r.values.get("odometer_km") or 0)):
            key = keys[row.number]
            natural = None if row.errors else _natural_key(options.kind, row.values)
            if key in seen or natural in existing:
                report.duplicates.append(row.number)
                continue
            if row.errors:
                report.errors += [
                    {"row": row.number, "field": name, "message": text} for name, text in row.errors.items()
                ]
                continue
            seen.add(key)
            existing.add(natural)
            try:
                with transaction.atomic():
                    report.created.append(_import_row(user=user, vehicle=vehicle, kind=options.kind, row=row, key=key))
            except ValidationError as exc:
                report.errors += [
                    {"row": row.number, "field": name, "message": text} for name, text in _messages(exc).items()
                ]
        report.created.sort(key=lambda item: item["row"])
        report.duplicates.sort()
        report.errors.sort(key=lambda item: item["row"])
        if not report.committed:
            transaction.set_rollback(True)
        else:
            _audit(
                user=user,
                request=request,
                event="imported",
                vehicle=vehicle.pk,
                kind=options.kind,
                rows=len(report.created),
            )
        return report
