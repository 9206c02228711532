from __future__ import annotations

import uuid
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import EngineSound, WarningLight

YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"})


def validate_youtube_url(value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme != "https" or parsed.hostname not in YOUTUBE_HOSTS:
        raise ValidationError(_("Enter an https YouTube address (youtube.com or youtu.be)."))


class Difficulty(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class Tutorial(models.Model):  # type: ignore[django-manager-missing]  # modeltranslation patches its manager
    """One how-to video that explains a warning light or an engine sound, curated by staff."""

    Difficulty = Difficulty

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=120, unique=True, help_text="Stable id used by the seed loader.")
    title = models.CharField(max_length=200)
    description = models.TextField()
    youtube_url = models.URLField("YouTube URL", max_length=500, validators=[validate_youtube_url])
    duration_seconds = models.PositiveIntegerField()
    difficulty = models.CharField(max_length=16, choices=Difficulty, default=Difficulty.BEGINNER)
    view_count = models.PositiveIntegerField(default=0)
    warning_lights: models.ManyToManyField[WarningLight, TutorialWarningLight] = models.ManyToManyField(
        WarningLight, through="TutorialWarningLight", related_name="tutorials", blank=True
    )
    engine_sounds: models.ManyToManyField[EngineSound, TutorialEngineSound] = models.ManyToManyField(
        EngineSound, through="TutorialEngineSound", related_name="tutorials", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["difficulty"], name="tutorial_difficulty_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(difficulty__in=Difficulty.values), name="tutorial_difficulty_valid"
            ),
            models.CheckConstraint(condition=models.Q(duration_seconds__gt=0), name="tutorial_duration_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class TutorialWarningLight(models.Model):
    """Links one tutorial to one warning light it explains."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tutorial = models.ForeignKey(Tutorial, on_delete=models.CASCADE, related_name="warning_light_links")
    warning_light = models.ForeignKey(WarningLight, on_delete=models.CASCADE, related_name="tutorial_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tutorial", "warning_light"], name="tutorial_warning_light_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tutorial} → {self.warning_light}"


class TutorialEngineSound(models.Model):
    """Links one tutorial to one engine sound it explains."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tutorial = models.ForeignKey(Tutorial, on_delete=models.CASCADE, related_name="engine_sound_links")
    engine_sound = models.ForeignKey(EngineSound, on_delete=models.CASCADE, related_name="tutorial_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tutorial", "engine_sound"], name="tutorial_engine_sound_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tutorial} → {self.engine_sound}"
