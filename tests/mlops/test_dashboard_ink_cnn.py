"""The ink-CNN measurement (issue 10): its training crops, its held-out crops and its command line. It is a
measurement script, not a shipped model, so these check that it measures what it says it does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mlops.ml.dashboard import ink_cnn
from mlops.ml.dashboard import train as training

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_icons = pytest.mark.skipif(not (DATA_DIR / "dashboard").is_dir(), reason="real dashboard icons not available")


def test_it_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        ink_cnn.main(["--help"])
    assert exit_.value.code == 0
    assert "held out by whole source" in capsys.readouterr().out


def test_its_training_crops_are_proposal_sized_symbols_of_known_codes() -> None:
    library = training.load_library(None)
    crops, labels, sources = ink_cnn.training_crops(library, 6, seed=3)
    assert crops.shape == (6, training.INPUT_SIZE, training.INPUT_SIZE, 3)
    assert crops.dtype == np.uint8
    assert all(0 <= label < len(ink_cnn.CODES) for label in labels)
    assert sources == [""] * 6  # drawings and word lamps belong to no real source


def test_its_training_crops_come_back_the_same_from_the_same_seed() -> None:
    library = training.load_library(None)
    first = ink_cnn.training_crops(library, 3, seed=7)
    again = ink_cnn.training_crops(library, 3, seed=7)
    assert np.array_equal(first[0], again[0])
    assert np.array_equal(first[1], again[1])


def test_the_ink_net_names_one_code_per_crop() -> None:
    library = training.load_library(None)
    crops, _, _ = ink_cnn.training_crops(library, 4, seed=1)
    x = ink_cnn.ink_tensor(crops)
    assert x.shape == (4, 1, ink_cnn.INK_INPUT, ink_cnn.INK_INPUT)
    torch.manual_seed(0)
    probs = ink_cnn.predict(ink_cnn.InkNet().eval(), crops)
    assert probs.shape == (4, len(ink_cnn.CODES))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


@needs_icons
def test_it_takes_eight_views_of_each_held_out_icon_like_the_evaluation() -> None:
    icons = ink_cnn.real_icons(DATA_DIR, sources={"sign"})
    crops = ink_cnn.held_out_crops(icons)
    assert len(crops) == 8 * len(icons)
    views = [view for _, view, _ in crops[:8]]
    assert views == ["32", "32d", "64", "64d", "128", "128d", "close_up_dark", "close_up_light"]
    assert {code for code, _, _ in crops} == {code for code, _, _ in icons}
