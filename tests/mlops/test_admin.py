"""Readable model pages in the staff console: the labelled heatmap, the worst confusions, the training date
and what each traffic share means."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from model_bakery import baker

from accounts.models import User
from mlops.models import MLModel, ModelStatus, ModelType, Prediction

pytestmark = pytest.mark.django_db

IMAGE = ModelType.IMAGE_CLASSIFICATION
LABELS = ["abs", "battery", "oil_pressure"]
MATRIX = [[8, 2, 0], [0, 10, 0], [1, 4, 5]]


def _model(tmp_path: Path, *, metrics: dict[str, Any], config: dict[str, Any] | None = None, **fields: Any) -> MLModel:
    folder = tmp_path / fields.get("version", "v1")
    folder.mkdir(exist_ok=True)
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config))
    values = {"name": "dash", "version": "v1", "model_type": IMAGE, "status": ModelStatus.TESTING, **fields}
    return baker.make(MLModel, artifact_path=str(folder), sha256="b" * 64, size_bytes=1, metrics=metrics, **values)


def _page(client: Client, model: MLModel) -> str:
    response = client.get(reverse("admin:mlops_mlmodel_change", args=[model.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_the_confusion_matrix_is_a_labelled_heatmap_normalized_per_true_class(
    client: Client, staff: User, tmp_path: Path
) -> None:
    model = _model(tmp_path, metrics={"confusion": {"labels": LABELS, "matrix": MATRIX}})
    client.force_login(staff)
    page = _page(client, model)

    for label in LABELS:
        assert f">{label}</text>" in page
    assert "true abs, predicted battery: 2 of 10 (20%)" in page
    assert "true oil_pressure, predicted oil_pressure: 5 of 10 (50%)" in page
    assert page.count("<title>true ") == len(LABELS) ** 2


def test_the_worst_confusions_come_first(client: Client, staff: User, tmp_path: Path) -> None:
    model = _model(tmp_path, metrics={"validation": {"confusion": {"labels": LABELS, "matrix": MATRIX}}})
    client.force_login(staff)
    page = _page(client, model)
    table = page[page.index('id="worst-confusions"') : page.index("</table>", page.index('id="worst-confusions"'))]

    rows = table.split("<tbody>")[1].split("</tr>")[:-1]
    assert [r.count("<td>") for r in rows] == [4, 4, 4]
    assert rows[0] == "<tr><td>oil_pressure</td><td>battery</td><td>4</td><td>40%</td>"
    assert rows[1] == "<tr><td>abs</td><td>battery</td><td>2</td><td>20%</td>"
    assert rows[2] == "<tr><td>oil_pressure</td><td>abs</td><td>1</td><td>10%</td>"


def test_the_top_level_confusion_wins_over_the_validation_one(client: Client, staff: User, tmp_path: Path) -> None:
    metrics = {
        "confusion": {"labels": LABELS, "matrix": MATRIX},
        "validation": {"confusion": {"labels": ["old_a", "old_b"], "matrix": [[1, 1], [0, 1]]}},
    }
    client.force_login(staff)
    page = _page(client, _model(tmp_path, metrics=metrics))
    assert ">oil_pressure</text>" in page
    assert "old_a" not in page


def test_a_model_without_a_confusion_matrix_says_so(client: Client, staff: User, tmp_path: Path) -> None:
    client.force_login(staff)
    page = _page(client, _model(tmp_path, metrics={"confusion": {"labels": ["a"], "matrix": "broken"}}))
    assert "This model&#x27;s metrics hold no confusion matrix." in page


def test_the_bundled_dashboard_model_shows_all_its_classes(client: Client, staff: User) -> None:
    call_command("load_models", verbosity=0)
    model = MLModel.objects.get(model_type=IMAGE, status=ModelStatus.ACTIVE)
    labels = model.metrics["validation"]["confusion"]["labels"]
    assert len(labels) == 40
    client.force_login(staff)
    page = _page(client, model)

    assert page.count("<title>true ") == 40 * 40
    assert "Confusion matrix over 40 classes, normalized per true class" in page
    assert (
        page.count(
            "</tr>", page.index('id="worst-confusions"'), page.index("</table>", page.index('id="worst-confusions"'))
        )
        == 11
    )


@pytest.mark.parametrize(
    ("fields", "metrics", "config", "shown"),
    [
        ({"trained_at": "2026-11-20T08:30:00Z"}, {}, None, "2026-11-20 08:30"),
        ({}, {"training": {"trained_at": "2026-11-21T09:00:00+00:00"}}, None, "2026-11-21 09:00"),
        ({}, {}, {"trained_at": "2026-11-22T10:15:00+00:00"}, "2026-11-22 10:15"),
        ({}, {"trained_at": "2026-11-23T11:45:00"}, {"trained_at": "2026-11-01T00:00:00Z"}, "2026-11-23 11:45"),
        ({}, {}, {}, "Not recorded by its training run; registered 20"),
    ],
    ids=["row", "metrics-training", "config-on-disk", "metrics-top-level", "nowhere"],
)
def test_trained_at_is_filled_in_from_wherever_the_run_wrote_it(
    client: Client,
    staff: User,
    settings: Any,
    tmp_path: Path,
    fields: dict[str, Any],
    metrics: dict[str, Any],
    config: dict[str, Any] | None,
    shown: str,
) -> None:
    settings.TIME_ZONE = "UTC"
    model = _model(tmp_path, metrics=metrics, config=config, **fields)
    client.force_login(staff)

    listing = client.get(reverse("admin:mlops_mlmodel_changelist")).content.decode()

    assert f'<td class="field-trained_short">{shown if fields or metrics or config else "not recorded"}' in listing
    assert f'<div class="readonly">{shown}' in _page(client, model)


def test_traffic_shares_are_explained(client: Client, staff: User, tmp_path: Path) -> None:
    active = _model(tmp_path, metrics={}, version="v1", status=ModelStatus.ACTIVE)
    testing = _model(tmp_path, metrics={}, version="v2", traffic_share=0.25)
    idle = _model(tmp_path, metrics={}, version="v3")
    retired = _model(tmp_path, metrics={}, version="v0", status=ModelStatus.DEPRECATED)
    client.force_login(staff)

    listing = client.get(reverse("admin:mlops_mlmodel_changelist")).content.decode()

    # Short in the list, with the explanation as its tooltip.
    assert '<span title="All traffic not routed to a testing model (now 75%)">the rest: 75%</span>' in listing
    assert '<span title="25% of its type&#x27;s requests (A/B test)">25% (A/B test)</span>' in listing
    assert '<span title="0%: registered for evaluation, serves no request">0% (not serving)</span>' in listing
    assert '<span title="Retired: serves no request">none (retired)</span>' in listing
    assert "All traffic not routed to a testing model (now 75%)" in _page(client, active)
    for model in (testing, idle, retired):
        assert "All traffic not routed" not in _page(client, model)


def test_status_and_share_change_only_through_the_audited_services(client: Client, staff: User, tmp_path: Path) -> None:
    model = _model(tmp_path, metrics={})
    client.force_login(staff)
    page = _page(client, model)
    assert 'name="status"' not in page
    assert 'name="traffic_share"' not in page

    client.post(reverse("admin:mlops_mlmodel_change", args=[model.pk]), {"status": "active", "traffic_share": "1"})

    model.refresh_from_db()
    assert (model.status, model.traffic_share) == (ModelStatus.TESTING, 0.0)


def test_the_prediction_log_shows_confidence_to_two_decimals_and_latency_in_ms(client: Client, staff: User) -> None:
    model = baker.make(MLModel, name="dash", version="v1", model_type=IMAGE, sha256="c" * 64, size_bytes=1)
    prediction = Prediction.objects.create(
        ml_model=model, top_code="abs", confidence=0.98765, is_unknown=False, latency_ms=50.931794
    )
    client.force_login(staff)

    listing = client.get(reverse("admin:mlops_prediction_changelist")).content.decode()
    page = client.get(reverse("admin:mlops_prediction_change", args=[prediction.pk])).content.decode()

    assert '<td class="field-confidence_2dp">0.99</td>' in listing
    assert '<td class="field-latency">50.9 ms</td>' in listing
    assert '<div class="readonly">0.99</div>' in page
    assert '<div class="readonly">50.9 ms</div>' in page
    assert "0.98765" not in page
