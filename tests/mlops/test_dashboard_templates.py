"""Dashboard v3: the ink-template match beside the CNN. A lamp's shape is matched whatever its colour, its
polarity or its stroke; the bank ships with the model and is covered by its checksum; the match re-ranks the
CNN's codes but never decides what is a lamp."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image, ImageFilter

from catalog.symbols import CORE_CODES, render_symbol
from mlops.artifacts import ArtifactIntegrityError, artifact_sha256, read_artifact
from mlops.ml.dashboard import DashboardRecognizer
from mlops.ml.dashboard.candidates import crop_square
from mlops.ml.dashboard.templates import combine, ink_descriptors
from mlops.ml.dashboard.train import TEMPLATE_GAIN
from mlops.models import MLModel, ModelStatus

REPO = Path(__file__).resolve().parents[2]
V2 = REPO / "mlops" / "artifacts" / "dashboard-v2"
V3 = REPO / "mlops" / "artifacts" / "dashboard-v3"


@pytest.fixture(scope="module")
def v3() -> DashboardRecognizer:
    return DashboardRecognizer.load(V3)


def lamp_crop(
    code: str,
    colour: tuple[int, int, int],
    background: tuple[int, int, int],
    *,
    bold: bool = False,
    style: int = 0,
) -> np.ndarray:
    """The code drawn in colour on a plain background, cut out as a proposal's 48 px crop would be."""
    symbol = render_symbol(code, size=120, style=style, colour=colour)
    if bold:
        symbol = symbol.filter(ImageFilter.MaxFilter(7))
    canvas = Image.new("RGBA", (200, 200), (*background, 255))
    canvas.alpha_composite(symbol, (40, 40))
    box = symbol.getchannel("A").getbbox()
    assert box is not None
    rgb = canvas.convert("RGB")
    return np.asarray(crop_square(rgb, (40 + box[0], 40 + box[1], 40 + box[2], 40 + box[3]), 48, 0.15))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    da, db = ink_descriptors(np.stack([a, b]))
    return float(da @ db)


def test_a_lamps_ink_is_the_same_in_any_colour_and_either_polarity() -> None:
    amber_on_black = lamp_crop("check_engine", (255, 170, 0), (10, 10, 12))
    red_on_grey = lamp_crop("check_engine", (230, 30, 20), (90, 92, 95))
    printed_on_white = lamp_crop("check_engine", (20, 20, 20), (240, 240, 235))
    other_code = lamp_crop("seatbelt", (255, 170, 0), (10, 10, 12))

    same = [cosine(amber_on_black, red_on_grey), cosine(amber_on_black, printed_on_white)]
    assert min(same) > 0.9
    assert cosine(amber_on_black, other_code) < min(same) - 0.2


@pytest.mark.parametrize("code", CORE_CODES)
def test_the_shipped_bank_names_each_core_drawing_in_a_bold_stroke_printed_on_white(
    v3: DashboardRecognizer, code: str
) -> None:
    assert v3.templates is not None
    crop = lamp_crop(code, (25, 25, 25), (235, 235, 230), bold=True)
    similarity = v3.templates.similarities(crop[None], len(v3.config.classes))[0]
    assert v3.config.classes[int(similarity[1:].argmax()) + 1] == code


def test_without_a_gain_the_cnn_alone_decides() -> None:
    cnn = np.array([[0.1, 0.5, 0.4]], dtype=np.float32)
    similarity = np.array([[-1.0, 0.2, 0.9]], dtype=np.float32)
    assert combine(cnn, similarity, gain=0) is cnn


def test_a_clear_shape_match_turns_a_close_call_but_keeps_the_background_share() -> None:
    cnn = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]], dtype=np.float32)
    similarity = np.array([[-1.0, 0.5, 0.9], [-1.0, 0.1, 0.95]], dtype=np.float32)

    mixed = combine(cnn, similarity, gain=TEMPLATE_GAIN)

    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(mixed[:, 0], cnn[:, 0])
    assert mixed[0].argmax() == 2  # the match named the lamp the CNN was unsure about
    assert mixed[1].argmax() == 0  # ... but what the CNN calls background stays background


def test_v3_is_v2s_cnn_with_a_template_bank_and_its_own_threshold() -> None:
    config = json.loads((V3 / "config.json").read_text())
    assert (config["version"], config["kind"]) == ("3.0.0", "dashboard")
    assert config["template_gain"] == TEMPLATE_GAIN > 0
    assert 0.5 < config["threshold"] < 1
    v2 = torch.load(V2 / "weights.pt", weights_only=True)
    v3 = torch.load(V3 / "weights.pt", weights_only=True)
    assert v2.keys() == v3.keys() and all(torch.equal(v2[k], v3[k]) for k in v2)
    assert (V3 / "SHA256").read_text().strip() == artifact_sha256(V3)
    total = sum(p.stat().st_size for p in V3.iterdir())
    assert total < 25 * 2**20


def test_the_checksum_covers_the_template_bank(tmp_path: Path) -> None:
    copy = tmp_path / "dashboard-v3"
    shutil.copytree(V3, copy)
    bank = torch.load(copy / "templates.pt", weights_only=True)
    bank["descriptors"][0, 0] += 1
    torch.save(bank, copy / "templates.pt")

    with pytest.raises(ArtifactIntegrityError, match="does not match"):
        read_artifact(copy)


def test_a_model_that_weighs_templates_refuses_to_load_without_its_bank(tmp_path: Path) -> None:
    copy = tmp_path / "dashboard-v3"
    shutil.copytree(V3, copy)
    (copy / "templates.pt").unlink()

    with pytest.raises(ValueError, match="no template bank"):
        DashboardRecognizer.load(copy)
    with pytest.raises(ArtifactIntegrityError):
        read_artifact(copy)  # the recorded sha256 covered the bank


def test_v2_still_loads_as_the_cnn_alone() -> None:
    v2 = DashboardRecognizer.load(V2)
    assert v2.templates is None and v2.config.template_gain == 0
    assert read_artifact(V2).sha256 == (V2 / "SHA256").read_text().strip()


@pytest.mark.django_db
@pytest.mark.slow
def test_train_model_can_reuse_a_cnn_and_fit_only_the_template_match(tmp_path: Path) -> None:
    out_dir = tmp_path / "dashboard-r"
    out = io.StringIO()
    call_command(
        "train_model", "dashboard", "--cnn-from", str(V2), "--scenes", "12", "--seed", "5",
        "--out", str(out_dir), "--model-version", "r1", stdout=out,
    )  # fmt: skip

    assert "cnn reused" in out.getvalue()  # the progress bar's stage
    v2 = torch.load(V2 / "weights.pt", weights_only=True)
    reused = torch.load(out_dir / "weights.pt", weights_only=True)
    assert all(torch.equal(v2[k], reused[k]) for k in v2)
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["templates"]["count"] > 1000 and metrics["templates"]["gain"] == TEMPLATE_GAIN
    assert metrics["training"]["cnn_from"] == str(V2)
    recognizer = DashboardRecognizer.load(out_dir)
    assert recognizer.templates is not None
    model = MLModel.objects.get(version="r1")
    assert model.status == ModelStatus.TESTING
    assert model.sha256 == artifact_sha256(out_dir)


@pytest.mark.django_db
def test_train_model_refuses_a_cnn_folder_without_weights(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"holds no weights\.pt"):
        call_command("train_model", "dashboard", "--cnn-from", str(tmp_path), stdout=io.StringIO())
    assert not MLModel.objects.exists()
