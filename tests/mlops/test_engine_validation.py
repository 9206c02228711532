"""The engine-sound splits: the Avanza by contiguous blocks with guard gaps, every other recording held out whole.

The first tests build their own listing; the last ones list the real data and skip where it is absent.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest
import torch

from mlops.ml.engine.corpus import CLASSES, MULTI_CAR_CODES, UNKNOWN, Recording, jetta_code, load_corpus
from mlops.ml.engine.validation import Fold, folds, leaks

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("CARDOC_DATA_DIR", REPO.parent / "shared" / "data"))
needs_data = pytest.mark.skipif(not (DATA_DIR / "engine").is_dir(), reason="the real recordings are not present")

EMPTY = torch.zeros(0)


def listing() -> list[Recording]:
    items = [
        Recording("avanza", code, code, f"avanza/{code}", f"avanza_{n:03d}.wav", EMPTY, n)
        for code, count in (("normal_idle", 40), ("water_pump", 12))
        for n in range(count)
    ]
    for code, files in (("water_pump", 5), ("exhaust_leak", 3), ("brake_grinding", 1)):
        for f in range(files):
            for w in range(4):  # several windows of one video: one recording
                items.append(Recording("multi_car", code, code, f"multi/{code}_{f}", f"{code}_{f}.wav#{w}", EMPTY))
    for scene in ("warm_engine_idle_under_hood", "busy_street_ambient", "windy_day_ambient"):
        for n in range(6):
            items.append(Recording("jetta", jetta_code(scene), scene, f"jetta/{scene}", f"{scene}_{n}.wav", EMPTY, n))
    return items


def folds_testing(fold_list: list[Fold], n: int) -> list[int]:
    return [f.index for f in fold_list for i in f.test if i == n]


def test_every_item_is_tested_exactly_once() -> None:
    items = listing()
    fold_list = folds(items, k=5, guard=2)

    assert all(len(folds_testing(fold_list, n)) == 1 for n in range(len(items)))
    for fold in fold_list:
        assert not set(fold.train) & set(fold.test)


def test_no_recording_is_on_both_sides_of_any_fold() -> None:
    items = listing()
    fold_list = folds(items, k=5, guard=2)

    for fold in fold_list:
        train = {items[i].group for i in fold.train if items[i].source != "avanza"}
        test = {items[i].group for i in fold.test if items[i].source != "avanza"}
        assert not train & test, fold.index
        assert leaks(items, fold, guard=2) == []
    # All windows of one video are tested together.
    by_group: dict[str, set[int]] = defaultdict(set)
    for n, item in enumerate(items):
        if item.source != "avanza":
            by_group[item.group].update(folds_testing(fold_list, n))
    assert all(len(found) == 1 for found in by_group.values())


def test_the_avanza_is_tested_in_contiguous_blocks_with_guard_gaps() -> None:
    items = listing()
    fold_list = folds(items, k=5, guard=2)

    for fold in fold_list:
        tested = sorted(items[i].order for i in fold.test if items[i].group == "avanza/normal_idle")
        assert tested == list(range(tested[0], tested[-1] + 1))
        trained = {items[i].order for i in fold.train if items[i].group == "avanza/normal_idle"}
        assert not trained & set(range(tested[0] - 2, tested[-1] + 3))
    last = fold_list[-1]
    assert max(items[i].order for i in last.test if items[i].group == "avanza/normal_idle") == 39


def test_small_classes_are_spread_over_the_folds_not_held_out_at_once() -> None:
    items = listing()
    fold_list = folds(items, k=5, guard=2)

    water_pump_folds = {f.index for f in fold_list for i in f.test if items[i].group.startswith("multi/water_pump")}
    assert len(water_pump_folds) == 5


def test_the_leak_check_catches_a_shuffled_split() -> None:
    # The check itself must be able to fail: a random split puts windows of one video on both sides.
    items = listing()
    order = torch.randperm(len(items), generator=torch.Generator().manual_seed(0)).tolist()
    bad = Fold(0, tuple(order[: len(items) // 2]), tuple(order[len(items) // 2 :]))

    problems = leaks(items, bad, guard=2)

    assert any("on both sides" in p for p in problems)
    assert any("trains beside test chunk" in p for p in problems)


@needs_data
def test_the_real_recordings_split_without_a_leak() -> None:
    items = load_corpus(DATA_DIR, None)
    fold_list = folds(items, k=5, guard=3)

    assert {item.source for item in items} == {"avanza", "multi_car", "jetta"}
    assert {item.code for item in items} <= set(CLASSES)
    for fold in fold_list:
        assert leaks(items, fold, guard=3) == []
    # Each multi-car video is its own recording; each Jetta scene is one recording.
    multi = [item for item in items if item.source == "multi_car"]
    assert len({item.group for item in multi}) == len(multi)
    assert len({item.group for item in items if item.source == "jetta"}) == 23
    # Codes with data held out of the offered set are taught as "unknown".
    assert {item.folder for item in multi if item.code == UNKNOWN} == {
        folder for folder, code in MULTI_CAR_CODES.items() if code == UNKNOWN
    }
