"""Model artefacts on disk: a folder with weights.pt and config.json, identified by their sha256."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

# The files that decide what a model predicts; metrics and plots do not change a prediction.
CHECKSUMMED_FILES = ("weights.pt", "config.json")
# ... and those only some versions have: the dashboard's ink-template bank (from v3 on), and the ONNX export
# that train_model ships with its spec (what phones download, so the checksum must cover it too). Hashed when
# present, so older artefacts keep their recorded sha256; a config that needs one refuses to load without it.
OPTIONAL_CHECKSUMMED_FILES = ("templates.pt", "model.onnx", "model.json")
CHECKSUM_FILE = "SHA256"


class ArtifactIntegrityError(Exception):
    """An artefact's files do not match the checksum recorded for them: never load it."""


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    path: Path
    sha256: str
    size_bytes: int
    config: dict[str, Any]
    metrics: dict[str, Any]


def resolve(artifact_path: str | Path) -> Path:
    path = Path(artifact_path)
    return path if path.is_absolute() else settings.BASE_DIR / path


def relative_to_project(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path.resolve())


def artifact_sha256(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in _checksummed(folder):
        file = folder / name
        if not file.is_file():
            raise ArtifactIntegrityError(f"{file} is missing.")
        digest.update(name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _checksummed(folder: Path) -> tuple[str, ...]:
    return CHECKSUMMED_FILES + tuple(name for name in OPTIONAL_CHECKSUMMED_FILES if (folder / name).is_file())


def artifact_size(folder: Path) -> int:
    return sum((folder / name).stat().st_size for name in _checksummed(folder))


def write_checksum(folder: Path) -> str:
    """Record the artefact's checksum beside it, as the training command does for what it ships."""
    sha = artifact_sha256(folder)
    (folder / CHECKSUM_FILE).write_text(sha + "\n")
    return sha


def verify(folder: Path, expected_sha256: str) -> None:
    actual = artifact_sha256(folder)
    if actual != expected_sha256:
        raise ArtifactIntegrityError(
            f"The artefact in {folder} does not match its recorded sha256 (expected {expected_sha256[:12]}…, "
            f"found {actual[:12]}…); refusing to load it."
        )


def read_artifact(folder: Path) -> ArtifactInfo:
    """Read a shipped artefact after checking its files against the SHA256 file beside them."""
    checksum_file = folder / CHECKSUM_FILE
    if not checksum_file.is_file():
        raise ArtifactIntegrityError(f"{folder} has no {CHECKSUM_FILE} file.")
    verify(folder, checksum_file.read_text().strip())
    metrics_file = folder / "metrics.json"
    return ArtifactInfo(
        path=folder,
        sha256=checksum_file.read_text().strip(),
        size_bytes=artifact_size(folder),
        config=json.loads((folder / "config.json").read_text()),
        metrics=json.loads(metrics_file.read_text()) if metrics_file.is_file() else {},
    )
