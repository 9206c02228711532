from __future__ import annotations

import hashlib
import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from accounts.models import User, Vehicle
from diagnostics.models import DiagnosticRecord, private_storage
from directory.models import Mechanic
from maintenance.ical import AllDayEvent

CALENDAR_UID_DOMAIN = "cardoc.example"


class MaintenanceType(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    COMPLETED = "completed", "Completed"


class MaintenanceStatus(models.TextChoices):
    """Where a record stands for its driver; derived from the dates, never stored."""

    UPCOMING = "upcoming", "Upcoming"
    OVERDUE = "overdue", "Overdue"
    COMPLETED = "completed", "Completed"


class MaintenanceQuerySet(models.QuerySet["MaintenanceRecord"]):
    def visible_to(self, user: User) -> MaintenanceQuerySet:
        return self.filter(user=user)

    def open(self) -> MaintenanceQuerySet:
        """Not done yet, whether upcoming or overdue: what a calendar feed shows."""
        return self.filter(completed_date__isnull=True)

    def with_status(self, status: str, *, today: date) -> MaintenanceQuerySet:
        """Filter by the derived status; ``today`` is the driver's date in their own time zone."""
        if status == MaintenanceStatus.COMPLETED:
            return self.filter(completed_date__isnull=False)
        if status == MaintenanceStatus.OVERDUE:
            return self.open().filter(scheduled_date__lt=today)
        return self.open().filter(scheduled_date__gte=today)


class MaintenanceRecord(models.Model):
    """One service job on a driver's car: planned, overdue or done, optionally recurring."""

    Type = MaintenanceType
    ReminderStatus = ReminderStatus
    Status = MaintenanceStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="maintenance_records")
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="maintenance_records"
    )
    diagnostic = models.ForeignKey(
        DiagnosticRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="maintenance_records"
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_record",
        help_text="The completed record this one recurs from.",
    )
    garage = models.ForeignKey(
        Mechanic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maintenance_records",
        help_text="The listed garage that does (or did) the job; a completed job there may be reviewed.",
    )
    maintenance_type = models.CharField(max_length=16, choices=MaintenanceType)
    title = models.CharField(max_length=200)
    scheduled_date = models.DateField()
    completed_date = models.DateField(null=True, blank=True)
    reminder_status = models.CharField(max_length=16, choices=ReminderStatus, default=ReminderStatus.PENDING)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    odometer_km = models.PositiveIntegerField(null=True, blank=True, help_text="The reading when the job was done.")
    due_odometer_km = models.PositiveIntegerField(
        null=True, blank=True, help_text="Due at this reading, or on the scheduled date, whichever comes first."
    )
    cost = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    notes = models.TextField(blank=True)
    recurrence_months = models.PositiveSmallIntegerField(null=True, blank=True)
    recurrence_km = models.PositiveIntegerField(null=True, blank=True)
    import_key = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Fingerprint of the CSV row it came from, if any."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MaintenanceQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_date", "created_at"]
        indexes = [
            # The driver's list, in exactly its order, so a deep page is an index walk and not a sort.
            models.Index(fields=["user", "scheduled_date", "created_at"], name="maintenance_user_agenda_idx"),
            models.Index(fields=["reminder_status", "scheduled_date"], name="maintenance_reminder_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(maintenance_type__in=MaintenanceType.values), name="maintenance_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(reminder_status__in=ReminderStatus.values), name="maintenance_reminder_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0), name="maintenance_cost_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence_months__isnull=True) | models.Q(recurrence_months__gt=0),
                name="maintenance_recurrence_months_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence_km__isnull=True) | models.Q(recurrence_km__gt=0),
                name="maintenance_recurrence_km_positive",
            ),
            # The derived status reads completed_date and the reminder job reads reminder_status;
            # the database keeps the two in step so they can never disagree.
            models.CheckConstraint(
                condition=(models.Q(completed_date__isnull=True) & ~models.Q(reminder_status=ReminderStatus.COMPLETED))
                | models.Q(completed_date__isnull=False, reminder_status=ReminderStatus.COMPLETED),
                name="maintenance_completed_consistent",
            ),
            # One repair item per diagnosis, so a retried "create from diagnostic" call returns the first.
            models.UniqueConstraint(
                fields=["diagnostic"],
                condition=models.Q(diagnostic__isnull=False, maintenance_type=MaintenanceType.CORRECTIVE),
                name="maintenance_one_corrective_per_diagnostic",
            ),
            # A re-imported CSV row is recognised by its fingerprint; the database makes it at most once.
            models.UniqueConstraint(
                fields=["user", "import_key"], condition=~models.Q(import_key=""), name="maintenance_import_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_date:%Y-%m-%d})"

    @property
    def recurs(self) -> bool:
        return bool(self.recurrence_months or self.recurrence_km)

    @property
    def is_completed(self) -> bool:
        return self.completed_date is not None

    def status_on(self, today: date) -> MaintenanceStatus:
        """The derived status on the driver's ``today``."""
        if self.completed_date is not None:
            return MaintenanceStatus.COMPLETED
        if self.scheduled_date < today:
            return MaintenanceStatus.OVERDUE
        return MaintenanceStatus.UPCOMING

    def calendar_event(self) -> AllDayEvent:
        """This job as an all-day calendar event; the UID is the record's id, so edits update the event."""
        lines = []
        if self.vehicle is not None:
            lines.append(f"Vehicle: {self.vehicle}")
        if self.due_odometer_km:
            lines.append(f"Due at {self.due_odometer_km:,} km or on this day, whichever comes first.")
        if self.notes:
            lines.append(self.notes)
        return AllDayEvent(
            uid=f"maintenance-{self.pk}@{CALENDAR_UID_DOMAIN}",
            day=self.scheduled_date,
            summary=f"{self.title} ({self.vehicle})" if self.vehicle is not None else self.title,
            description="\n\n".join(lines),
            last_modified=self.updated_at,
        )


class NotificationKind(models.TextChoices):
    MAINTENANCE_DUE = "maintenance_due", "Maintenance due soon"
    MAINTENANCE_OVERDUE = "maintenance_overdue", "Maintenance overdue"
    DIAGNOSTIC_COMPLETED = "diagnostic_completed", "Diagnostic completed"
    DIAGNOSTIC_FAILED = "diagnostic_failed", "Diagnostic failed"
    QUOTE_ANSWERED = "quote_answered", "Quote answered"
    SYSTEM = "system", "System"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: User) -> NotificationQuerySet:
        return self.filter(user=user)


class Notification(models.Model):
    """One in-app message to a driver, such as a maintenance reminder."""

    Kind = NotificationKind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    maintenance_record = models.ForeignKey(
        MaintenanceRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    quote_request = models.ForeignKey(
        "QuoteRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    diagnostic = models.ForeignKey(
        DiagnosticRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    is_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["is_read", "-created_at"]
        indexes = [models.Index(fields=["user", "is_read", "-created_at"], name="notification_inbox_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
            # The database, not only the job, guarantees a record is reminded of at most once per kind.
            models.UniqueConstraint(
                fields=["maintenance_record", "kind"],
                condition=models.Q(maintenance_record__isnull=False),
                name="notification_once_per_record_kind",
            ),
            # A diagnostic's inbox row says how its latest analysis ended; a re-analysis replaces it.
            models.UniqueConstraint(
                fields=["diagnostic"],
                condition=models.Q(diagnostic__isnull=False),
                name="notification_once_per_diagnostic",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def hash_calendar_token(token: str) -> str:
    """The stored form of a feed token: SHA-256 is enough for 256 random bits, and keeps lookups indexed."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedQuerySet(models.QuerySet["CalendarFeed"]):
    def for_token(self, token: str) -> CalendarFeedQuerySet:
        return self.filter(token_hash=hash_calendar_token(token), user__status=User.Status.ACTIVE)


class CalendarFeed(models.Model):
    """One driver's calendar subscription: the hash of the secret token in their feed URL.

    Only the hash is stored, so a leaked database or backup does not reveal anyone's feed URL;
    the driver sees the URL once, when the token is made, and resets it to get a new one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    reset_at = models.DateTimeField(null=True, blank=True, help_text="When the token was last replaced.")

    objects = CalendarFeedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class QuoteStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the garage"
    ANSWERED = "answered", "Answered"
    DECLINED = "declined", "Declined by the garage"


MAX_GARAGES_PER_QUOTE = 3


class QuoteRequestQuerySet(models.QuerySet["QuoteRequest"]):
    def visible_to(self, user: User) -> QuoteRequestQuerySet:
        """The driver's own requests; nobody else's, staff included (the garages read theirs on the web)."""
        return self.filter(user=user)

    def for_garage(self, user: User) -> QuoteRequestQuerySet:
        """Requests sent to the listings ``user`` may edit (their own; every listing for directory staff)."""
        return self.filter(mechanic__in=Mechanic.objects.editable_by(user))


class QuoteRequest(models.Model):
    """One driver asking one garage for a price and a date for the repair a diagnosis found.

    What the garage reads (the finding and the vehicle) is copied when the request is sent, so later edits
    of the driver's car or a re-analysis never change a request the garage has already answered.
    """

    Status = QuoteStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quote_requests")
    diagnostic = models.ForeignKey(DiagnosticRecord, on_delete=models.CASCADE, related_name="quote_requests")
    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="quote_requests")
    repair = models.CharField(max_length=200, help_text="The repair asked for, e.g. Repair: Coolant temperature.")
    finding = models.TextField(help_text="What the diagnosis found, as the garage reads it.")
    vehicle = models.CharField(max_length=200, blank=True, help_text="Make, model and year, as the garage reads it.")
    message = models.TextField(max_length=2000, blank=True, help_text="The driver's note to the garage.")
    share_photo = models.BooleanField(default=False, help_text="The driver lets the garage see the dashboard photo.")
    status = models.CharField(max_length=16, choices=QuoteStatus, default=QuoteStatus.PENDING)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3, blank=True)
    available_on = models.DateField(null=True, blank=True, help_text="When the garage can do the job.")
    garage_message = models.TextField(max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="quotes_answered"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuoteRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["mechanic", "status", "-created_at"], name="quote_garage_inbox_idx")]
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "mechanic"], name="quote_once_per_garage_per_diagnostic"),
            models.CheckConstraint(condition=models.Q(status__in=QuoteStatus.values), name="quote_status_valid"),
            models.CheckConstraint(
                condition=models.Q(price__isnull=True) | models.Q(price__gte=0), name="quote_price_non_negative"
            ),
            # An answer is a price and a date; a pending request has neither.
            models.CheckConstraint(
                condition=~models.Q(status=QuoteStatus.ANSWERED)
                | models.Q(price__isnull=False, available_on__isnull=False),
                name="quote_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repair} at {self.mechanic}"


class FuelEntryQuerySet(models.QuerySet["FuelEntry"]):
    def visible_to(self, user: User) -> FuelEntryQuerySet:
        return self.filter(user=user)


class FuelEntry(models.Model):
    """One fill-up of one of a driver's cars: how much fuel, for how much, at which reading."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fuel_entries")
    # A fill-up means nothing without its car, so it goes with it (unlike a maintenance record, which is
    # also the driver's receipt history).
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="fuel_entries")
    filled_on = models.DateField()
    odometer_km = models.PositiveIntegerField()
    litres = models.DecimalField(max_digits=8, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))])
    total_cost = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))], help_text="What the fill-up cost."
    )
    is_full = models.BooleanField(default=True, help_text="The tank was filled to the brim (economy is measured so).")
    station = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    import_key = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Fingerprint of the CSV row it came from, if any."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FuelEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "fuel entries"
        ordering = ["-filled_on", "-odometer_km"]
        indexes = [models.Index(fields=["vehicle", "filled_on", "odometer_km"], name="fuelentry_vehicle_date_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(litres__gt=0), name="fuelentry_litres_positive"),
            models.CheckConstraint(condition=models.Q(total_cost__gte=0), name="fuelentry_cost_non_negative"),
            # A re-imported CSV row is recognised by its fingerprint; the database makes it at most once.
            models.UniqueConstraint(
                fields=["user", "import_key"], condition=~models.Q(import_key=""), name="fuelentry_import_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.litres} L on {self.filled_on:%Y-%m-%d} at {self.odometer_km:,} km"

    @property
    def price_per_litre(self) -> Decimal:
        return (self.total_cost / self.litres).quantize(Decimal("0.001"))


ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: User) -> AttachmentQuerySet:
        return self.filter(user=user)


class Attachment(models.Model):
    """One receipt or photo kept with a maintenance record or a fill-up, in the private storage."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments")
    maintenance_record = models.ForeignKey(
        MaintenanceRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    fuel_entry = models.ForeignKey(
        FuelEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to="garage/attachments/%Y/%m/", storage=private_storage)
    content_type = models.CharField(max_length=64, help_text="What the file's first bytes say it is.")
    size_bytes = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(maintenance_record__isnull=False, fuel_entry__isnull=True)
                | models.Q(maintenance_record__isnull=True, fuel_entry__isnull=False),
                name="attachment_exactly_one_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(size_bytes__lte=ATTACHMENT_MAX_BYTES), name="attachment_size_limit"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or self.file.name
