from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.search import ranked_search


class LightSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical: stop safely"
    MODERATE = "moderate", "Moderate: service soon"
    INFORMATIONAL = "informational", "Informational"


class LightColour(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    BLUE = "blue", "Blue"
    WHITE = "white", "White"


class SoundType(models.TextChoices):
    NORMAL = "normal", "Normal"
    KNOCKING = "knocking", "Knocking"
    SQUEALING = "squealing", "Squealing"
    HISSING = "hissing", "Hissing"
    GRINDING = "grinding", "Grinding"
    TICKING = "ticking", "Ticking"
    WHINING = "whining", "Whining"
    RATTLING = "rattling", "Rattling"


class SoundSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical: stop safely"
    MODERATE = "moderate", "Moderate: service soon"
    NORMAL = "normal", "Normal"


UNIVERSAL = "universal"


class WarningLightQuerySet(models.QuerySet["WarningLight"]):
    def search(self, text: str) -> WarningLightQuerySet:
        """Lights matching ``text`` (full-text, words in any order), most relevant first."""
        return ranked_search(self, text)


class EngineSoundQuerySet(models.QuerySet["EngineSound"]):
    def search(self, text: str) -> EngineSoundQuerySet:
        """Sounds matching ``text`` (full-text, words in any order), most relevant first."""
        return ranked_search(self, text)


class WarningLight(models.Model):
    """One dashboard tell-tale symbol, as drivers see it and staff describe it."""

    Severity = LightSeverity
    Colour = LightColour

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=64, unique=True, help_text="Stable id shared with the ML models.")
    name = models.CharField("symbol name", max_length=120)
    icon = models.ImageField(upload_to="catalog/icons/", blank=True)
    manufacturer = models.CharField(
        max_length=64, default=UNIVERSAL, help_text="“universal”, or the brand that uses this symbol."
    )
    description = models.TextField()
    severity = models.CharField(max_length=16, choices=LightSeverity)
    colour = models.CharField(max_length=8, choices=LightColour)
    common_causes = models.JSONField(default=list, blank=True)
    repair_suggestions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WarningLightQuerySet.as_manager()  # type: ignore[django-manager-missing]  # modeltranslation patches it

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["severity", "colour"], name="warninglight_sev_colour_idx"),
            models.Index(fields=["updated_at"], name="warninglight_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=LightSeverity.values), name="warninglight_severity_valid"
            ),
            models.CheckConstraint(condition=models.Q(colour__in=LightColour.values), name="warninglight_colour_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class EngineSound(models.Model):
    """One engine or drivetrain noise pattern that points to a mechanical cause."""

    SoundType = SoundType
    Severity = SoundSeverity

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=64, unique=True, help_text="Stable id shared with the ML models.")
    name = models.CharField(max_length=120)
    sound_type = models.CharField(max_length=16, choices=SoundType)
    description = models.TextField()
    frequency_low_hz = models.PositiveIntegerField()
    frequency_high_hz = models.PositiveIntegerField()
    severity = models.CharField(max_length=16, choices=SoundSeverity)
    common_causes = models.JSONField(default=list, blank=True)
    repair_suggestions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EngineSoundQuerySet.as_manager()  # type: ignore[django-manager-missing]  # modeltranslation patches it

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["severity", "sound_type"], name="enginesound_sev_type_idx"),
            models.Index(fields=["updated_at"], name="enginesound_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(sound_type__in=SoundType.values), name="enginesound_type_valid"),
            models.CheckConstraint(
                condition=models.Q(severity__in=SoundSeverity.values), name="enginesound_severity_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(frequency_low_hz__lt=models.F("frequency_high_hz")),
                name="enginesound_frequency_low_lt_high",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TroubleCodeSystem(models.TextChoices):
    POWERTRAIN = "P", "Powertrain"
    BODY = "B", "Body"
    CHASSIS = "C", "Chassis"
    NETWORK = "U", "Network"


# SAE J2012: a system letter, 0-3 (0 and 2 generic, 1 and 3 maker-specific, mostly), then three hex digits.
TROUBLE_CODE_PATTERN = r"^[PBCU][0-3][0-9A-F]{3}$"
TROUBLE_CODE_SHAPE = _("a letter P, B, C or U, then a digit 0 to 3, then three digits or letters A to F (e.g. P0301)")


class TroubleCodeQuerySet(models.QuerySet["TroubleCode"]):
    def search(self, text: str) -> TroubleCodeQuerySet:
        """Codes starting with ``text``, or whose meaning holds every word of it, code order.

        The words are looked for in every language (``meaning_en``, ``meaning_fr``, ...): a French driver
        may type "raté" or "misfire", and either finds P0301 whatever language the answer is shown in.
        """
        words = text.split()
        if not words:
            return self.none()
        by_meaning = models.Q()
        for word in words:
            in_any_language = models.Q()
            for language, _name in settings.LANGUAGES:
                for field in ("meaning", "description"):
                    in_any_language |= models.Q(**{f"{field}_{language}__icontains": word})
            by_meaning &= in_any_language
        return self.filter(models.Q(code__istartswith=text.strip()) | by_meaning)


class TroubleCode(models.Model):
    """One OBD-II diagnostic trouble code (SAE J2012) as a scanner reads it, with what it means for the driver."""

    System = TroubleCodeSystem
    # Our urgency rule reads the same three words as the warning lights.
    Severity = LightSeverity

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=5, unique=True, help_text="E.g. P0301; upper case.")
    system = models.CharField(max_length=1, choices=TroubleCodeSystem)
    meaning = models.CharField(max_length=200, help_text="The code's standard title, in our words.")
    description = models.TextField(help_text="What it means for the driver and the car.")
    severity = models.CharField(max_length=16, choices=LightSeverity)
    common_causes = models.JSONField(default=list, blank=True)
    repair_suggestions = models.JSONField(default=list, blank=True)
    warning_lights = models.ManyToManyField(
        WarningLight, related_name="trouble_codes", blank=True, help_text="The lights this code turns on."
    )
    engine_sounds: models.ManyToManyField[EngineSound, Any] = models.ManyToManyField(
        EngineSound, related_name="trouble_codes", blank=True, help_text="Sounds that often come with it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TroubleCodeQuerySet.as_manager()  # type: ignore[django-manager-missing]  # modeltranslation patches it

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=TROUBLE_CODE_PATTERN), name="troublecode_code_shape"),
            models.CheckConstraint(
                condition=models.Q(system__in=TroubleCodeSystem.values), name="troublecode_system_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=LightSeverity.values), name="troublecode_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.meaning}"

    @property
    def name(self) -> str:
        """The title a finding shows, in the shape warning lights and sounds have."""
        return f"{self.code} {self.meaning}"
