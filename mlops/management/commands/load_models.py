from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mlops.artifacts import CHECKSUM_FILE, ArtifactIntegrityError, read_artifact
from mlops.services import KIND_TO_MODEL_TYPE, MODEL_NAMES, artifact_version, model_register


class Command(BaseCommand):
    help = "Register the bundled model artefacts (checking their sha256 first) and activate them if none is."

    def handle(self, *args: Any, **options: Any) -> None:
        folders = sorted(p.parent for p in settings.ML_ARTIFACTS_DIR.glob(f"*/{CHECKSUM_FILE}"))
        if not folders:
            raise CommandError(f"No model artefacts found under {settings.ML_ARTIFACTS_DIR}.")
        for folder in folders:
            try:
                info = read_artifact(folder)
            except ArtifactIntegrityError as exc:
                raise CommandError(str(exc)) from exc
            kind = info.config.get("kind", folder.name)
            if kind not in KIND_TO_MODEL_TYPE:
                raise CommandError(f"{folder}: unknown model kind {kind!r}.")
            model, created = model_register(
                info=info,
                name=info.config.get("name", MODEL_NAMES[kind]),
                version=artifact_version(info),
                model_type=KIND_TO_MODEL_TYPE[kind],
                activate_if_none=True,
            )
            verb = "registered" if created else "already registered"
            self.stdout.write(f"{model.name} {model.version}: {verb}, {model.status}")
