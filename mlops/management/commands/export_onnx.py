"""``manage.py export_onnx [--all]``: ONNX files of the models, for phones that diagnose offline."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from torch.onnx.errors import OnnxExporterError

from mlops.models import MLModel, ModelStatus
from mlops.services import model_export_onnx


class Command(BaseCommand):
    help = (
        "Export the active model of each type (or, with --all, every registered model) to ONNX under "
        "ML_ONNX_DIR (var/onnx/), with a JSON of its input spec beside it, for GET /api/v1/models/{id}/download. "
        "A model whose network has an operator ONNX cannot express is reported and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="Export every registered model, not only the active ones."
        )

    def handle(self, *args: Any, all: bool = False, **options: Any) -> None:
        models = MLModel.objects.all() if all else MLModel.objects.filter(status=ModelStatus.ACTIVE)
        exported = 0
        for model in models.order_by("model_type", "name", "version"):
            try:
                result = model_export_onnx(model=model)
            except (OnnxExporterError, ValueError) as exc:
                self.stderr.write(f"{model.name} {model.version}: skipped, {str(exc).splitlines()[0]}")
                continue
            exported += 1
            self.stdout.write(f"{model.name} {model.version}: {result.path} ({result.size_bytes:,} bytes)")
        if not exported:
            raise CommandError("No model was exported (run load_models first, or see the reasons above).")
        self.stdout.write(self.style.SUCCESS(f"Exported {exported} model(s)."))
