"""The design harness's per-clip normalisation: each clip is normalised by its own windows and nothing else."""

from __future__ import annotations

import torch

from mlops.ml.engine import designs, training
from mlops.ml.engine.corpus import Recording

WIDTH = 552


def unit(stats: torch.Tensor, silent: torch.Tensor, fold: int = 0) -> training.Unit:
    return training.Unit("multi_car", "water_pump", "water_pump", "multi/a", fold, stats, silent, (~silent).float())


def prepared(clips: list[torch.Tensor]) -> training.Prepared:
    items = [
        Recording("multi_car", "water_pump", "water_pump", f"multi/{i}", f"{i}.wav", torch.zeros(1))
        for i in range(len(clips))
    ]
    units = [unit(c, torch.zeros(c.shape[0], dtype=torch.bool)) for c in clips]
    return training.Prepared(items, clips, [c + 1.0 for c in clips], units)


def test_a_clip_normalised_band_mean_is_its_window_minus_the_clip_mean() -> None:
    clip = torch.randn(6, WIDTH)
    out = designs.laid_out(prepared([clip]), "cmn")
    assert out.stats[0].shape == (6, designs.MEAN)
    assert torch.allclose(out.stats[0], clip[:, : designs.MEAN] - clip[:, : designs.MEAN].mean(dim=0), atol=1e-6)
    assert torch.allclose(out.stats[0].mean(dim=0), torch.zeros(designs.MEAN), atol=1e-5)


def test_one_clip_never_moves_another_clips_features() -> None:
    a, b = torch.randn(4, WIDTH), torch.randn(5, WIDTH)
    alone = designs.laid_out(prepared([a]), "rich+cmn").stats[0]
    together = designs.laid_out(prepared([a, b * 100.0]), "rich+cmn").stats[0]
    assert torch.equal(alone, together)


def test_silent_windows_do_not_count_in_a_units_clip_mean() -> None:
    clip = torch.randn(3, WIDTH)
    noisy = torch.cat([clip, torch.full((1, WIDTH), 1e3)])
    silent = torch.tensor([False, False, False, True])
    base = prepared([clip])
    base.units = [unit(noisy, silent)]
    out = designs.laid_out(base, "cmn").units[0].stats
    assert torch.allclose(out[:3], clip[:, : designs.MEAN] - clip[:, : designs.MEAN].mean(dim=0), atol=1e-5)


def test_every_layout_keeps_the_shipped_columns_where_it_says() -> None:
    clip = torch.randn(4, WIDTH)
    assert torch.equal(designs.laid_out(prepared([clip]), "rich").stats[0], clip[:, : designs.RICH])
    plus = designs.laid_out(prepared([clip]), "mean+cmn").stats[0]
    assert torch.equal(plus[:, : designs.MEAN], clip[:, : designs.MEAN])
    for name in designs.LAYOUTS:
        assert designs.laid_out(prepared([clip]), name).stats[0].shape[0] == 4


def test_tilt_removal_leaves_no_straight_line_behind() -> None:
    index = torch.linspace(-1.0, 1.0, designs.MEAN)
    means = 3.0 * index[None] + torch.randn(2, designs.MEAN)
    removed = designs._tilt_removed(means)
    assert torch.allclose((removed * index).sum(dim=1), torch.zeros(2), atol=1e-4)


def test_every_design_key_names_a_layout() -> None:
    assert all(layout in designs.LAYOUTS for _, _, layout in designs.DESIGNS.values())
    assert designs.SHIPPED_TABLE[:2] == ("v2", "baseline")


def test_a_code_not_offered_becomes_an_other_fault_on_both_sides() -> None:
    base = prepared([torch.randn(2, WIDTH)])
    out = designs.not_offered(base, ["water_pump"])
    assert out.items[0].code == "unknown"
    assert out.units[0].code == "unknown" and out.units[0].accept == frozenset({"unknown"})
    assert designs.not_offered(base, ["exhaust_leak"]).items[0].code == "water_pump"
