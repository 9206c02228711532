from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mlops.artifacts import CHECKSUM_FILE, ArtifactInfo, ArtifactIntegrityError, read_artifact
from mlops.services import KIND_TO_MODEL_TYPE, MODEL_NAMES, artifact_version, model_register


def _release_order(info: ArtifactInfo) -> tuple[str, str]:
    # Oldest first: artefacts written by train_model carry trained_at; the first shipped ones do not.
    return (str(info.config.get("trained_at") or ""), info.path.name)


class Command(BaseCommand):
    help = (
        "Register every bundled model artefact as a version (checking its sha256 first). On an empty registry "
        "the newest version of each kind becomes active; otherwise new versions wait, as testing models, for "
        "staff to deploy them."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        folders = sorted(p.parent for p in settings.ML_ARTIFACTS_DIR.glob(f"*/{CHECKSUM_FILE}"))
        if not folders:
            raise CommandError(f"No model artefacts found under {settings.ML_ARTIFACTS_DIR}.")
        by_kind: dict[str, list[ArtifactInfo]] = {}
        for folder in folders:
            try:
                info = read_artifact(folder)
            except ArtifactIntegrityError as exc:
                raise CommandError(str(exc)) from exc
            kind = info.config.get("kind", folder.name)
            if kind not in KIND_TO_MODEL_TYPE:
                raise CommandError(f"{folder}: unknown model kind {kind!r}.")
            by_kind.setdefault(kind, []).append(info)
        for kind, infos in sorted(by_kind.items()):
            infos.sort(key=_release_order)
            for position, info in enumerate(infos):
                model, created = model_register(
                    info=info,
                    name=info.config.get("name", MODEL_NAMES[kind]),
                    version=artifact_version(info),
                    model_type=KIND_TO_MODEL_TYPE[kind],
                    # Only the newest may be switched on, and only where nothing of its kind is active yet.
                    activate_if_none=position == len(infos) - 1,
                )
                verb = "registered" if created else "already registered"
                self.stdout.write(f"{model.name} {model.version}: {verb}, {model.status}")
