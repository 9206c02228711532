from __future__ import annotations

import re
import uuid
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CAR_USER = "car_user", "Driver"
    MECHANIC = "mechanic", "Mechanic"
    ADMINISTRATOR = "administrator", "Administrator"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    SUSPENDED = "suspended", "Suspended"


class UserQuerySet(models.QuerySet["User"]):
    def active(self) -> UserQuerySet:
        return self.filter(status=AccountStatus.ACTIVE)

    def by_email(self, email: str) -> UserQuerySet:
        return self.filter(email__iexact=email.strip())


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def normalize_email(self, email: str | None) -> str:
        # The whole address is lower-cased: mail providers treat the local part case-insensitively
        # in practice, and drivers type their email with random capitals on phones.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        # Every sign-in (ModelBackend: the API, the web page, the admin, manage.py) finds the account
        # whatever the letter case typed, matching the case-insensitive unique constraint.
        return self.get(email__iexact=(username or "").strip())

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.CAR_USER)
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """One person who signs in: a driver, a mechanic or a member of staff, identified by email."""

    Role = Role
    Status = AccountStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    role = models.CharField(max_length=16, choices=Role, default=Role.CAR_USER)
    status = models.CharField(max_length=16, choices=AccountStatus, default=AccountStatus.ACTIVE)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin console.")
    email_verified = models.BooleanField(
        default=False, help_text="The owner proved they read this address (the link sent at sign-up or change)."
    )
    date_joined = models.DateTimeField("registered at", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(condition=models.Q(status__in=AccountStatus.values), name="user_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(role=Role.ADMINISTRATOR) | models.Q(is_staff=True),
                name="user_administrator_is_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        # Admin forms and any other ModelForm store the address the way sign-up does, so the API's
        # lookup and the case-insensitive unique constraint agree with what is saved.
        self.email = User.objects.normalize_email(self.email)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        # One source of truth: Django, DRF and simplejwt all read is_active, and it follows status.
        return self.status == AccountStatus.ACTIVE

    @property
    def is_mechanic(self) -> bool:
        return self.role == Role.MECHANIC

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR and self.is_staff

    def profile_or_default(self) -> UserProfile:
        """The saved profile, or an unsaved one holding the defaults.

        Sign-up always creates the profile; accounts made another way (``createsuperuser``, the admin's
        add form) may have none until their first profile update.
        """
        try:
            return self.profile
        except UserProfile.DoesNotExist:
            return UserProfile(user=self)


class Units(models.TextChoices):
    METRIC = "metric", "Metric (km, °C)"
    IMPERIAL = "imperial", "Imperial (miles, °F)"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone.") % {"value": value})


# The directory's prices are in CFA francs; a driver elsewhere sets their own.
DEFAULT_CURRENCY = "XAF"


class UserProfile(models.Model):
    """The personal details and preferences of one user, kept apart from their credentials."""

    Units = Units

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(
        max_length=32,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9 ()-]{6,31}$", _("Enter a phone number such as +237 6 12 34 56 78."))],
    )
    preferences = models.JSONField(default=dict, blank=True)
    units = models.CharField(max_length=16, choices=Units, default=Units.METRIC)
    locale = models.CharField(
        max_length=16,
        default="",
        blank=True,
        validators=[RegexValidator(r"^[a-z]{2,3}(-[A-Z]{2})?$", _("Use a locale such as en or fr-CM."))],
        help_text="The language the API answers in (fr-CM: French); blank follows the phone's Accept-Language.",
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    reminder_lead_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(60)],
        help_text="How many days before a maintenance item is due the driver is reminded.",
    )
    currency = models.CharField(
        max_length=3,
        default=DEFAULT_CURRENCY,
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 currency code such as XAF or EUR.")],
        help_text="The ISO 4217 code the driver's costs are entered and totalled in.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(units__in=Units.values), name="userprofile_units_valid"),
            models.CheckConstraint(
                condition=models.Q(reminder_lead_days__lte=60), name="userprofile_reminder_lead_days_max"
            ),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="userprofile_currency_iso"),
        ]

    def __str__(self) -> str:
        return self.full_name or str(self.user)


class FuelType(models.TextChoices):
    PETROL = "petrol", "Petrol"
    DIESEL = "diesel", "Diesel"
    HYBRID = "hybrid", "Hybrid"
    PLUG_IN_HYBRID = "plug_in_hybrid", "Plug-in hybrid"
    ELECTRIC = "electric", "Electric"
    LPG = "lpg", "LPG"
    CNG = "cng", "CNG"
    OTHER = "other", "Other"


# ISO 3779: 17 characters, digits and capitals except I, O and Q (too easily read as 1 and 0).
VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
validate_vin = RegexValidator(VIN_PATTERN, _("A VIN has 17 letters and digits, without I, O or Q."))

FIRST_CAR_YEAR = 1886


class VehicleQuerySet(models.QuerySet["Vehicle"]):
    def visible_to(self, user: User) -> VehicleQuerySet:
        return self.filter(user=user)


class Vehicle(models.Model):
    """One car in a driver's garage."""

    FuelType = FuelType

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="vehicles")
    make = models.CharField(max_length=64)
    model = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(FIRST_CAR_YEAR)])
    vin = models.CharField("VIN", max_length=17, blank=True, validators=[validate_vin])
    fuel_type = models.CharField(max_length=16, choices=FuelType, default=FuelType.PETROL)
    odometer_km = models.PositiveIntegerField(default=0)
    nickname = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VehicleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"], name="vehicle_user_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "vin"], condition=~models.Q(vin=""), name="vehicle_vin_unique_per_user"
            ),
            models.CheckConstraint(condition=models.Q(fuel_type__in=FuelType.values), name="vehicle_fuel_type_valid"),
            models.CheckConstraint(
                condition=models.Q(year__gte=FIRST_CAR_YEAR, year__lte=2100), name="vehicle_year_range"
            ),
        ]

    def __str__(self) -> str:
        return self.nickname or f"{self.year} {self.make} {self.model}"

    def clean(self) -> None:
        # The upper bound moves every year, so it lives here rather than in a migration-frozen validator;
        # next year's models go on sale during this one.
        latest = timezone.now().year + 1
        if self.year is not None and self.year > latest:
            message = _("Enter a year between %(first)s and %(latest)s.")
            raise ValidationError({"year": message % {"first": FIRST_CAR_YEAR, "latest": latest}})


class RevokedAccessTokenQuerySet(models.QuerySet["RevokedAccessToken"]):
    def expired(self) -> RevokedAccessTokenQuerySet:
        return self.filter(expires_at__lte=timezone.now())


class RevokedAccessToken(models.Model):
    """One access token signed out before it expired; refused until then, then purged.

    A JWT is valid until its expiry by design, so signing out ends the refresh token (blacklisted) and
    records the access token's jti here, which authentication checks in the same query that loads the user.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    jti = models.CharField(max_length=255, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="revoked_access_tokens")
    expires_at = models.DateTimeField(db_index=True)

    objects = RevokedAccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "revoked access token"

    def __str__(self) -> str:
        return self.jti
