"""Splits that cannot flatter: contiguous blocks for the Avanza, whole recordings for everything else.

``folds`` gives, for k folds, which items each fold trains on and tests on:

- an Avanza class is one recording cut in 1 s chunks, so fold f tests the f-th contiguous block of every
  class and trains on the rest minus ``guard`` chunks on each side of that block (neighbours are near-copies);
- every other item belongs to a recording (``Recording.group``); a recording is tested in exactly one fold and
  never trained on in that fold. Recordings are dealt to the folds per data folder, so each small class is
  spread over the folds rather than held out all at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Grouped(Protocol):
    source: str
    code: str
    folder: str
    group: str
    order: int


@dataclass(frozen=True, slots=True)
class Fold:
    """One fold: indices into the item list."""

    index: int
    train: tuple[int, ...]
    test: tuple[int, ...]


def _avanza_blocks(items: Sequence[Grouped], k: int) -> dict[int, tuple[int, int, int]]:
    """Item index -> (fold, position in its class, class length) for Avanza chunks."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if item.source == "avanza":
            by_class[item.group].append(i)
    out = {}
    for members in by_class.values():
        members.sort(key=lambda i: items[i].order)
        n = len(members)
        for position, i in enumerate(members):
            # Fold f holds positions [f*n/k, (f+1)*n/k): contiguous blocks in recording order.
            out[i] = (min(k - 1, position * k // n), position, n)
    return out


def _group_folds(items: Sequence[Grouped], k: int) -> dict[str, int]:
    """Recording group -> its test fold, dealt round-robin within each data folder."""
    per_folder: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in items:
        if item.source != "avanza" and item.group not in per_folder[(item.source, item.folder)]:
            per_folder[(item.source, item.folder)].append(item.group)
    out: dict[str, int] = {}
    offset = 0
    for key in sorted(per_folder):
        for j, group in enumerate(sorted(per_folder[key])):
            out[group] = (offset + j) % k
        # Rotate the starting fold, so folders with one or two recordings do not all land in fold 0.
        offset += len(per_folder[key])
    return out


def folds(items: Sequence[Grouped], k: int = 5, guard: int = 3) -> list[Fold]:
    """k folds over the items; every item is tested in exactly one fold."""
    blocks = _avanza_blocks(items, k)
    groups = _group_folds(items, k)
    test_fold = [blocks[i][0] if i in blocks else groups[item.group] for i, item in enumerate(items)]
    # For the guard: each Avanza class's test block per fold, as positions.
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    for i, (fold, position, _) in blocks.items():
        key = (items[i].group, fold)
        lo, hi = spans.get(key, (position, position))
        spans[key] = (min(lo, position), max(hi, position))
    result = []
    for f in range(k):
        train, test = [], []
        for i in range(len(items)):
            if test_fold[i] == f:
                test.append(i)
                continue
            if i in blocks:
                span = spans.get((items[i].group, f))
                position = blocks[i][1]
                if span is not None and span[0] - guard <= position <= span[1] + guard:
                    continue
            train.append(i)
        result.append(Fold(f, tuple(train), tuple(test)))
    return result


def leaks(items: Sequence[Grouped], fold: Fold, guard: int = 3) -> list[str]:
    """What would flatter this fold: a recording on both sides, or an Avanza chunk within the guard of a test one.

    Empty for a sound split; ``folds`` is tested against it.
    """
    problems = []
    train_groups = {items[i].group for i in fold.train if items[i].source != "avanza"}
    for i in fold.test:
        if items[i].source != "avanza" and items[i].group in train_groups:
            problems.append(f"recording {items[i].group} is on both sides")
    tested: dict[str, list[int]] = defaultdict(list)
    for i in fold.test:
        if items[i].source == "avanza":
            tested[items[i].group].append(items[i].order)
    for i in fold.train:
        if items[i].source == "avanza":
            near = [o for o in tested.get(items[i].group, []) if abs(o - items[i].order) <= guard]
            if near:
                problems.append(f"{items[i].group} chunk {items[i].order} trains beside test chunk {near[0]}")
    return sorted(set(problems))
