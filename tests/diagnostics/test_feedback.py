"""Drivers' feedback on a result: the endpoint, corrections, the audit, and the live precision it gives the models."""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticFeedback, DiagnosticRecord, DiagnosticResult, FindingFeedback
from mlops.models import MLModel
from tests.conftest import RLS_QUERIES

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"


@pytest.fixture
def entries(db: None) -> dict[str, WarningLight | EngineSound]:
    light = {"severity": "moderate", "colour": "amber"}
    sound = {"severity": "moderate", "sound_type": "whining", "frequency_low_hz": 1, "frequency_high_hz": 2}
    return {
        "battery": baker.make(WarningLight, code="battery", **light),
        "check_engine": baker.make(WarningLight, code="check_engine", **light),
        "water_pump": baker.make(EngineSound, code="water_pump", **sound),
        "alternator": baker.make(EngineSound, code="alternator", **sound),
    }


@pytest.fixture
def models(db: None) -> tuple[MLModel, MLModel]:
    """Two versions of the dashboard model in an A/B test."""
    common = {"name": "dashboard", "model_type": "image_classification", "artifact_path": "mlops/artifacts/absent"}
    return (
        baker.make(MLModel, version="v1", status="active", **common),
        baker.make(MLModel, version="v2", status="testing", traffic_share=0.5, **common),
    )


def _diagnosis(user: User, entries: dict[str, Any], model: MLModel, *codes: str) -> DiagnosticRecord:
    record = baker.make(DiagnosticRecord, user=user, diagnostic_type="combined", status="completed")
    result = baker.make(DiagnosticResult, record=record, overall_confidence=0.9, urgency="soon")
    for code in codes:
        entry = entries[code]
        kind = "warning_light" if isinstance(entry, WarningLight) else "engine_sound"
        baker.make(Detection, result=result, ml_model=model, confidence=0.9, **{kind: entry})
    return record


def _finding_id(record: DiagnosticRecord, code: str) -> str:
    detection = next(d for d in record.result.detections.all() if d.code == code)
    return str(detection.pk)


def _send(client: APIClient, record: DiagnosticRecord, body: dict[str, Any]) -> Any:
    return client.post(f"{URL}/{record.pk}/feedback", body, format="json")


# --- Access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_feedback_is_a_401(
    method: str, driver: User, entries: dict[str, Any], models: tuple[MLModel, MLModel], api_client: APIClient
) -> None:
    record = _diagnosis(driver, entries, models[0], "battery")

    response = getattr(api_client, method)(f"{URL}/{record.pk}/feedback", {}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not DiagnosticFeedback.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_drivers_diagnostic_is_a_404_and_takes_no_feedback(
    method: str,
    driver: User,
    other_driver: User,
    entries: dict[str, Any],
    models: tuple[MLModel, MLModel],
    client_for: Callable[[User], APIClient],
) -> None:
    record = _diagnosis(other_driver, entries, models[0], "battery")
    body = {"findings": [{"finding": _finding_id(record, "battery"), "verdict": "confirmed"}]}

    response = getattr(client_for(driver), method)(f"{URL}/{record.pk}/feedback", body, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not DiagnosticFeedback.objects.exists()


def test_no_feedback_yet_is_a_404(
    driver: User, entries: dict[str, Any], models: tuple[MLModel, MLModel], client_for: Callable[[User], APIClient]
) -> None:
    record = _diagnosis(driver, entries, models[0], "battery")

    response = client_for(driver).get(f"{URL}/{record.pk}/feedback")

    assert response.status_code == HTTPStatus.NOT_FOUND


# --- Sending and correcting --------------------------------------------------------------------------


def test_the_owner_confirms_rejects_and_corrects_findings(
    driver: User, entries: dict[str, Any], models: tuple[MLModel, MLModel], client_for: Callable[[User], APIClient]
) -> None:
    record = _diagnosis(driver, entries, models[0], "battery", "check_engine", "water_pump")
    client = client_for(driver)

    response = _send(
        client,
        record,
        {
            "findings": [
                {"finding": _finding_id(record, "battery"), "verdict": "confirmed"},
                {"finding": _finding_id(record, "check_engine"), "verdict": "rejected"},
                {"finding": _finding_id(record, "water_pump"), "verdict": "corrected", "code": "alternator"},
            ],
            "mechanic_found_code": "alternator",
            "note": "The alternator bearing was worn.",
        },
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["revision"] == 1
    assert {f["code"]: (f["verdict"], f["corrected_code"]) for f in body["findings"]} == {
        "battery": ("confirmed", None),
        "check_engine": ("rejected", None),
        "water_pump": ("corrected", "alternator"),
    }
    stored = DiagnosticFeedback.objects.get(record=record)
    assert stored.user == driver
    assert stored.mechanic_found == entries["alternator"]
    assert stored.note == "The alternator bearing was worn."
    rows = {row.predicted_code: row for row in FindingFeedback.objects.filter(feedback=stored)}
    assert rows["water_pump"].corrected_sound == entries["alternator"]
    assert {row.ml_model for row in rows.values()} == {models[0]}
    assert client.get(f"{URL}/{record.pk}/feedback").json() == body


def test_sending_again_corrects_one_verdict_and_keeps_the_others(
    driver: User, entries: dict[str, Any], models: tuple[MLModel, MLModel], client_for: Callable[[User], APIClient]
) -> None:
    record = _diagnosis(driver, entries, models[0], "battery", "check_engine")
    client = client_for(driver)
    battery, check_engine = _finding_id(record, "battery"), _finding_id(record, "check_engine")
    _send(
        client,
        record,
        {
            "findings": [
                {"finding": battery, "verdict": "confirmed"},
                {"finding": check_engine, "verdict": "confirmed"},
            ],
            "note": "first",
        },
    )

    response = _send(client, record, {"findings": [{"finding": check_engine, "verdict": "rejected"}]})

    assert response.status_code == HTTPStatus.OK
    feedback = DiagnosticFeedback.objects.get(record=record)
    assert feedback.revision == 2
    assert feedback.note == "first"  # not sent: kept
    verdicts = dict(FindingFeedback.objects.filter(feedback=feedback).values_list("predicted_code", "verdict"))
    assert verdicts == {"battery": "confirmed", "check_engine": "rejected"}
    events = AuditEvent.objects.filter(action="diagnostic", details__diagnostic=str(record.pk))
    sent = [e.details["event"] for e in events.order_by("timestamp") if e.details["event"].startswith("feedback")]
    assert sent == ["feedback_sent", "feedback_corrected"]
    assert "first" not in str(list(events.values_list("details", flat=True)))


def test_the_mechanics_code_alone_is_feedback_and_can_be_cleared(
    driver: User, entries: dict[str, Any], models: tuple[MLModel, MLModel], client_for: Callable[[User], APIClient]
) -> None:
    record = _diagnosis(driver, entries, models[0], "battery")
    client = client_for(driver)

    assert _send(client, record, {"mechanic_found_code": "water_pump"}).status_code == HTTPStatus.CREATED
    assert DiagnosticFeedback.objects.get(record=record).mechanic_found == entries["water_pump"]
    assert _send(client, record, {"mechanic_found_code": None}).status_code == HTTPStatus.OK
    assert DiagnosticFeedback.objects.get(record=record).mechanic_found is None


@pytest.mark.parametrize(
    ("findings", "extra", "field"),
    [
        ([{"finding": "battery", "verdict": "corrected"}], {}, "findings"),
        ([{"finding": "battery", "verdict": "corrected", "code": "water_pump"}], {}, "findings"),
        ([{"finding": "battery", "verdict": "corrected", "code": "battery"}], {}, "findings"),
        ([{"finding": "battery", "verdict": "corrected", "code": "no_such_light"}], {}, "findings"),
        ([{"finding": "battery", "verdict": "confirmed", "code": "check_engine"}], {}, "findings"),
        ([{"finding": "battery", "verdict": "maybe"}], {}, "findings"),
        (
            [{"finding": "battery", "verdict": "confirmed"}, {"finding": "battery", "verdict": "rejected"}],
            {},
            "findings",
        ),
        ([{"finding": "00000000-0000-4000-8000-000000000000", "verdict": "confirmed"}], {}, "findings"),
        ([{"finding": "not-a-uuid", "verdict": "confirmed"}], {}, "findings"),
        ([], {}, "findings"),
        ([], {"mechanic_found_code": "no_such_code"}, "mechanic_found_code"),
        ([], {"note": "x" * 2001}, "note"),
        ([], {"colour": "red"}, "colour"),
    ],
)
def test_bad_feedback_is_a_400_naming_the_field_and_stores_nothing(
    findings: list[dict[str, str]],
    extra: dict[str, Any],
    field: str,
    driver: User,
    entries: dict[str, Any],
    models: tuple[MLModel, MLModel],
    client_for: Callable[[User], APIClient],
) -> None:
    record = _diagnosis(driver, entries, models[0], "battery")
    for item in findings:
        if item["finding"] == "battery":
            item["finding"] = _finding_id(record, "battery")

    response = _send(client_for(driver), record, {"findings": findings, **extra})

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert not DiagnosticFeedback.objects.exists()
    assert not FindingFeedback.objects.exists()


@pytest.mark.parametrize("status", ["pending", "in_progress", "failed"])
def test_feedback_on_an_unfinished_or_failed_diagnostic_is_a_409(
    status: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = baker.make(DiagnosticRecord, user=driver, diagnostic_type="dashboard_scan", status=status)

    response = _send(client_for(driver), record, {"note": "hmm"})

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "analysis_pending"
    assert not DiagnosticFeedback.objects.exists()


def test_a_verdict_outlives_a_reanalysis_that_replaces_its_finding(
    driver: User, entries: dict[str, Any], models: tuple[MLModel, MLModel], client_for: Callable[[User], APIClient]
) -> None:
    record = _diagnosis(driver, entries, models[0], "battery")
    _send(
        client_for(driver), record, {"findings": [{"finding": _finding_id(record, "battery"), "verdict": "rejected"}]}
    )

    DiagnosticResult.objects.filter(record=record).delete()  # what a re-analysis does before storing the new one

    row = FindingFeedback.objects.get()
    assert row.detection is None
    assert (row.ml_model, row.predicted_code, row.verdict) == (models[0], "battery", "rejected")


# --- Live precision ------------------------------------------------------------------------------------


def _performance(client: APIClient, model: MLModel) -> dict[str, Any]:
    response = client.get(f"/api/v1/models/{model.pk}/performance")
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["feedback"]


def test_a_feedback_round_trip_changes_the_live_precision_of_the_model_that_served(
    driver: User,
    other_driver: User,
    staff: User,
    entries: dict[str, Any],
    models: tuple[MLModel, MLModel],
    client_for: Callable[[User], APIClient],
) -> None:
    v1, v2 = models
    staff_client = client_for(staff)
    assert _performance(staff_client, v1) == {
        "reviewed": 0,
        "confirmed": 0,
        "rejected": 0,
        "corrected": 0,
        "precision": None,
        "by_code": [],
    }
    first = _diagnosis(driver, entries, v1, "battery", "check_engine")
    second = _diagnosis(other_driver, entries, v1, "battery")
    tested = _diagnosis(driver, entries, v2, "battery")

    _send(
        client_for(driver),
        first,
        {
            "findings": [
                {"finding": _finding_id(first, "battery"), "verdict": "confirmed"},
                {"finding": _finding_id(first, "check_engine"), "verdict": "corrected", "code": "battery"},
            ]
        },
    )
    _send(
        client_for(other_driver),
        second,
        {"findings": [{"finding": _finding_id(second, "battery"), "verdict": "rejected"}]},
    )
    _send(
        client_for(driver), tested, {"findings": [{"finding": _finding_id(tested, "battery"), "verdict": "confirmed"}]}
    )

    live = _performance(staff_client, v1)
    assert (live["reviewed"], live["confirmed"], live["rejected"], live["corrected"]) == (3, 1, 1, 1)
    assert live["precision"] == pytest.approx(1 / 3)
    assert live["by_code"] == [
        {"code": "battery", "reviewed": 2, "confirmed": 1, "rejected": 1, "corrected": 0, "precision": 0.5},
        {"code": "check_engine", "reviewed": 1, "confirmed": 0, "rejected": 0, "corrected": 1, "precision": 0.0},
    ]
    assert _performance(staff_client, v2)["precision"] == 1.0

    # The driver changes their mind: the precision follows.
    _send(
        client_for(other_driver),
        second,
        {"findings": [{"finding": _finding_id(second, "battery"), "verdict": "confirmed"}]},
    )
    assert _performance(staff_client, v1)["precision"] == pytest.approx(2 / 3)


def test_drivers_cannot_read_model_performance(
    driver: User, models: tuple[MLModel, MLModel], client_for: Callable[[User], APIClient]
) -> None:
    assert client_for(driver).get(f"/api/v1/models/{models[0].pk}/performance").status_code == HTTPStatus.FORBIDDEN


def test_the_console_and_the_model_page_show_the_live_precision(
    driver: User,
    staff: User,
    entries: dict[str, Any],
    models: tuple[MLModel, MLModel],
    client_for: Callable[[User], APIClient],
    client: Any,
) -> None:
    v1, _ = models
    record = _diagnosis(driver, entries, v1, "battery", "check_engine")
    _send(
        client_for(driver),
        record,
        {
            "findings": [
                {"finding": _finding_id(record, "battery"), "verdict": "confirmed"},
                {"finding": _finding_id(record, "check_engine"), "verdict": "rejected"},
            ]
        },
    )
    client.force_login(staff)

    console = client.get("/admin/").content.decode()
    page = client.get(f"/admin/mlops/mlmodel/{v1.pk}/change/").content.decode()

    rows = dict(re.findall(r"<tr>\s*<td><a [^>]*>dashboard (v\d)</a>(.*?)</tr>", console, flags=re.S))
    assert rows["v1"].rstrip().endswith("<td>0.50</td>")
    assert rows["v2"].rstrip().endswith("<td>no feedback yet</td>")
    assert 'id="live-precision"' in page
    assert "Precision 0.500 over 2 reviewed findings (1 confirmed, 1 rejected, 0 corrected)" in page
    assert "<td>check_engine</td><td>1</td><td>0</td><td>1</td><td>0</td><td>0.000</td>" in page


def test_feedback_reads_take_a_constant_number_of_queries(
    driver: User,
    entries: dict[str, Any],
    models: tuple[MLModel, MLModel],
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(driver)
    one = _diagnosis(driver, entries, models[0], "battery")
    many = _diagnosis(driver, entries, models[0], "battery", "check_engine", "water_pump", "alternator")
    _send(client, one, {"findings": [{"finding": _finding_id(one, "battery"), "verdict": "rejected"}]})
    codes = {"battery": "confirmed", "check_engine": "rejected", "water_pump": "confirmed", "alternator": "confirmed"}
    _send(client, many, {"findings": [{"finding": _finding_id(many, c), "verdict": v} for c, v in codes.items()]})

    with django_assert_max_num_queries(6 + RLS_QUERIES) as few:
        client.get(f"{URL}/{one.pk}/feedback")
    with django_assert_max_num_queries(6 + RLS_QUERIES) as lots:
        assert len(client.get(f"{URL}/{many.pk}/feedback").json()["findings"]) == 4
    assert len(lots.captured_queries) == len(few.captured_queries)
