from __future__ import annotations

import json
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import FIRST_CAR_YEAR, User, UserProfile, Vehicle
from accounts.vin import decode_vin, validate_vin_characters
from cardoc.serializers import StrictFieldsMixin
from cardoc.sync_api import ClientIdField, ClientIdSerializerMixin

# Argon2 hashes whatever it is given; a cap keeps a megabyte "password" from costing a megabyte of hashing.
PASSWORD_MAX_LENGTH = 128
PREFERENCES_MAX_BYTES = 4096


class PasswordField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        # Spaces are legitimate password characters; trimming them would lock people out.
        super().__init__(write_only=True, trim_whitespace=False, style={"input_type": "password"}, **kwargs)


class RegisterSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = PasswordField()
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class RegisteredUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "role"]
        read_only_fields = fields


class LoginSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = PasswordField()


class RefreshSerializer(StrictFieldsMixin, serializers.Serializer):
    refresh = serializers.CharField(max_length=2048)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Short-lived bearer token for the Authorization header.")
    refresh = serializers.CharField(help_text="Single-use token for POST /api/v1/auth/refresh.")


class ChangePasswordSerializer(StrictFieldsMixin, serializers.Serializer):
    old_password = PasswordField()
    new_password = PasswordField()


class ConfirmPasswordSerializer(StrictFieldsMixin, serializers.Serializer):
    """The current password, asked again before an irreversible change (a stolen access token is not enough)."""

    password = PasswordField()


class PasswordResetRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(StrictFieldsMixin, serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = PasswordField()


class EmailVerifySerializer(StrictFieldsMixin, serializers.Serializer):
    token = serializers.CharField(max_length=512)


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)


class ChangeEmailSerializer(StrictFieldsMixin, serializers.Serializer):
    password = PasswordField()
    new_email = serializers.EmailField(max_length=254)


class MeSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The signed-in user with their profile, flat; only the profile fields are writable.

    The instance is the UserProfile, so the model's own validators (phone, locale, time zone, reminder
    lead time) apply to a PATCH unchanged.
    """

    id = serializers.UUIDField(source="user.id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    email_verified = serializers.BooleanField(source="user.email_verified", read_only=True)
    role = serializers.CharField(source="user.role", read_only=True)
    date_joined = serializers.DateTimeField(source="user.date_joined", read_only=True)

    class Meta:
        model = UserProfile
        fields = [
            "id",
            "email",
            "email_verified",
            "role",
            "date_joined",
            "full_name",
            "phone",
            "preferences",
            "units",
            "locale",
            "timezone",
            "reminder_lead_days",
            "currency",
        ]

    def validate_preferences(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Preferences must be a JSON object."))
        if len(json.dumps(value)) > PREFERENCES_MAX_BYTES:
            raise serializers.ValidationError(
                _("Preferences may take at most %(limit)s bytes.") % {"limit": PREFERENCES_MAX_BYTES}
            )
        return value


class LoginResponseSerializer(TokenPairSerializer):
    user = MeSerializer()


class VINField(serializers.CharField):
    """A VIN as people type it: surrounding spaces and lower case are accepted and normalised."""

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data).strip().upper()


class VinInfoSerializer(serializers.Serializer):
    manufacturer = serializers.CharField(allow_null=True, help_text="From the first three characters (WMI).")
    country = serializers.CharField(allow_null=True, help_text="Where the car was built, from the first two.")
    model_year = serializers.IntegerField(allow_null=True, help_text="From character 10, when it settles it.")
    check_digit_verified = serializers.BooleanField(help_text="North American VINs only carry a check digit.")
    notes = serializers.ListField(child=serializers.CharField(), help_text="What could not be decoded, and why.")


class VehicleSerializer(StrictFieldsMixin, ClientIdSerializerMixin, serializers.ModelSerializer):
    id = ClientIdField()
    vin = VINField(
        max_length=17,
        required=False,
        allow_blank=True,
        validators=[validate_vin_characters],
        help_text=(
            "17 letters and digits without I, O or Q; stored upper-case. A North American VIN (first "
            "character 1 to 5) must also pass its check digit (character 9)."
        ),
    )
    vin_info = serializers.SerializerMethodField(
        help_text="What the VIN says, decoded offline; null without a VIN. Unknown parts are null, with notes."
    )

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "make",
            "model",
            "year",
            "vin",
            "vin_info",
            "fuel_type",
            "odometer_km",
            "nickname",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "year": {"min_value": FIRST_CAR_YEAR},
            "odometer_km": {"min_value": 0, "max_value": 5_000_000},
        }

    def get_extra_kwargs(self) -> dict[str, dict[str, Any]]:
        extra = super().get_extra_kwargs()
        # Vehicle.clean checks the same moving bound; here it also reaches the schema and the message.
        extra["year"] = {**extra.get("year", {}), "max_value": timezone.now().year + 1}
        return extra

    @extend_schema_field(VinInfoSerializer(allow_null=True))
    def get_vin_info(self, vehicle: Vehicle) -> dict[str, Any] | None:
        if not vehicle.vin:
            return None
        return VinInfoSerializer(decode_vin(vehicle.vin, declared_year=vehicle.year)).data
