from __future__ import annotations

import uuid

from django.db import models

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
