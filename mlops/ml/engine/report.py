"""Evaluation figures for a trained model: per-class scores, calibration error and a confusion image."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont


def confusion_matrix(true: list[int], pred: list[int], n: int) -> list[list[int]]:
    """Rows are the true class, columns the predicted one."""
    matrix = [[0] * n for _ in range(n)]
    for t, p in zip(true, pred, strict=True):
        matrix[t][p] += 1
    return matrix


def per_class_scores(matrix: list[list[int]], labels: list[str]) -> dict[str, dict[str, float | int]]:
    scores: dict[str, dict[str, float | int]] = {}
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        support = sum(matrix[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
    return scores


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = 10) -> float:
    """ECE of the top-class probability over equal-width confidence bins."""
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in pairwise(edges.tolist()):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            gap = (confidence[in_bin].mean() - correct[in_bin].mean()).abs()
            ece += float(gap) * float(in_bin.float().mean())
    return round(ece, 4)


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The softmax temperature that minimises held-out negative log-likelihood (a 1-D grid search)."""
    best_t, best_nll = 1.0, float("inf")
    for t in torch.exp(torch.linspace(-1.0, 1.6, 53)).tolist():
        nll = float(torch.nn.functional.cross_entropy(logits / t, labels))
        if nll < best_nll:
            best_t, best_nll = t, nll
    return round(best_t, 4)


def draw_confusion(matrix: list[list[int]], labels: list[str], path: Path, title: str) -> None:
    """A row-normalised confusion matrix as a PNG, with counts in the cells (Pillow only)."""
    n = len(labels)
    cell, left, top = 64, 150, 150
    width, height = left + n * cell + 20, top + n * cell + 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    # Long titles go on one line per clause, so they never run off the image.
    for i, line in enumerate(title.split("; ")):
        draw.text((10, 10 + 18 * i), line, fill="black", font=font)
    draw.text(
        (10, top + n * cell + 10),
        "rows: true class, columns: predicted; colour: share of the row",
        fill="gray",
        font=small,
    )
    for i, label in enumerate(labels):
        draw.text((10, top + i * cell + cell // 2 - 7), label, fill="black", font=small)
        # Column labels are drawn on their own rotated strip, as Pillow cannot draw rotated text directly.
        strip = Image.new("RGBA", (120, 16), (255, 255, 255, 0))
        ImageDraw.Draw(strip).text((0, 0), label, fill="black", font=small)
        rotated = strip.rotate(60, expand=True)
        image.paste(rotated, (left + i * cell + cell // 2 - 10, top - 30 - rotated.height + 16), rotated)
    for i, row in enumerate(matrix):
        total = sum(row) or 1
        for j, count in enumerate(row):
            share = count / total
            shade = int(255 * (1.0 - share))
            colour = (shade, shade, 255) if i == j else (255, shade, shade)
            box = (left + j * cell, top + i * cell, left + (j + 1) * cell, top + (i + 1) * cell)
            draw.rectangle(box, fill=colour, outline="gray")
            ink = "white" if share > 0.6 else "black"
            draw.text((box[0] + cell // 2, box[1] + cell // 2), str(count), fill=ink, font=font, anchor="mm")
    image.save(path)
