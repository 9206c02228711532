"""Client-chosen ids, pushes and feed entries for reviews, diagnostic feedback and notifications' read state."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from accounts.throttles import ReviewThrottle
from cardoc.models import SyncChange
from catalog.models import WarningLight
from diagnostics.models import Detection, DiagnosticFeedback, DiagnosticRecord, DiagnosticResult
from diagnostics.tasks import sweep_stuck_diagnostics
from directory.models import Mechanic, Review
from maintenance.models import Notification
from mlops.models import MLModel
from tests.directory.factories import make_listing

pytestmark = pytest.mark.django_db

FEED = "/api/v1/sync/changes"
PUSH = "/api/v1/sync/push"
DIAGNOSTICS = "/api/v1/diagnostics"
NOTIFICATIONS = "/api/v1/notifications"
PG_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite takes the write lock at BEGIN (IMMEDIATE), so writers never overlap and there is no race to test",
)


def version(object_id: Any) -> int:
    return SyncChange.objects.get(object_id=object_id).version


def push(client: APIClient, *operations: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(PUSH, {"operations": list(operations)}, format="json")
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["results"]


def feed(client: APIClient, kind: str) -> dict[str, dict[str, Any]]:
    """The feed's latest entry of each object of ``kind``, by id, pulled from no cursor to the end."""
    entries: dict[str, dict[str, Any]] = {}
    cursor = ""
    while True:
        page = client.get(FEED, {"cursor": cursor, "limit": 50}).json()
        entries.update({entry["id"]: entry for entry in page["entries"] if entry["type"] == kind})
        cursor = page["cursor"]
        if not page["has_more"]:
            return entries


@pytest.fixture
def garage(db: None) -> Mechanic:
    return make_listing("Garage Central")


def reviews_url(mechanic: Mechanic) -> str:
    return f"/api/v1/mechanics/{mechanic.pk}/reviews"


@pytest.fixture
def light(db: None) -> WarningLight:
    return baker.make(WarningLight, code="battery", severity="moderate", colour="amber")


def completed_diagnosis(user: User, light: WarningLight) -> tuple[DiagnosticRecord, str]:
    """A completed dashboard scan that found ``light``, and that finding's id."""
    model = baker.make(
        MLModel,
        name="dashboard",
        version="v1",
        status="active",
        model_type="image_classification",
        artifact_path="mlops/artifacts/absent",
    )
    record = baker.make(DiagnosticRecord, user=user, diagnostic_type="dashboard_scan", status="completed")
    result = baker.make(DiagnosticResult, record=record, overall_confidence=0.9, urgency="soon")
    detection = baker.make(Detection, result=result, ml_model=model, confidence=0.9, warning_light=light)
    return record, str(detection.pk)


def feedback_url(record: DiagnosticRecord) -> str:
    return f"{DIAGNOSTICS}/{record.pk}/feedback"


def notification(user: User, **fields: Any) -> Notification:
    return baker.make(Notification, user=user, kind="system", title="Welcome", **fields)


# --- Reviews ---------------------------------------------------------------------------------------------


def test_an_anonymous_review_with_a_client_id_is_a_401(api_client: APIClient, garage: Mechanic) -> None:
    response = api_client.post(reviews_url(garage), {"id": str(uuid.uuid4()), "rating": 4}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not Review.objects.exists()


def test_a_review_keeps_the_client_id_and_a_repeat_answers_it_once(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    client = client_for(driver)
    body = {"id": str(uuid.uuid4()), "rating": 4, "comment": "Quick and fair"}

    first = client.post(reviews_url(garage), body, format="json")
    again = client.post(reviews_url(garage), body, format="json")

    assert first.status_code == HTTPStatus.CREATED
    assert first.json()["id"] == body["id"]
    assert first["ETag"] == f'"{version(body["id"])}"'
    assert again.status_code == HTTPStatus.OK
    assert again.json() == first.json()
    assert list(Review.objects.values_list("id", "rating")) == [(uuid.UUID(body["id"]), 4)]
    garage.refresh_from_db()
    assert garage.rating_count == 1


def test_a_review_id_with_another_body_is_a_409_and_changes_nothing(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    client = client_for(driver)
    chosen = str(uuid.uuid4())
    client.post(reviews_url(garage), {"id": chosen, "rating": 4}, format="json")

    response = client.post(reviews_url(garage), {"id": chosen, "rating": 1}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "id_conflict"
    assert Review.objects.get(pk=chosen).rating == 4


def test_a_new_review_id_never_replaces_the_review_the_driver_has(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    client = client_for(driver)
    earlier = client.post(reviews_url(garage), {"rating": 5, "comment": "From the other phone"}, format="json").json()

    response = client.post(reviews_url(garage), {"id": str(uuid.uuid4()), "rating": 2}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "review_exists"
    assert list(Review.objects.values_list("id", "rating", "comment")) == [
        (uuid.UUID(earlier["id"]), 5, "From the other phone")
    ]


def test_a_review_with_a_malformed_id_is_a_400(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    response = client_for(driver).post(reviews_url(garage), {"id": "not-a-uuid", "rating": 4}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "id" in response.json()["error"]["fields"]
    assert not Review.objects.exists()


def test_another_drivers_review_id_is_a_409_that_shows_nothing_of_theirs(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    chosen = str(uuid.uuid4())
    client_for(other_driver).post(reviews_url(garage), {"id": chosen, "rating": 3, "comment": "Theirs"}, format="json")

    response = client_for(driver).post(reviews_url(garage), {"id": chosen, "rating": 3}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert "Theirs" not in response.content.decode()
    assert Review.objects.get().user == other_driver


def test_a_post_and_a_push_with_one_id_make_one_review(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    client = client_for(driver)
    chosen = str(uuid.uuid4())
    posted = client.post(reviews_url(garage), {"id": chosen, "rating": 4}, format="json").json()

    [result] = push(
        client, {"op": "create", "type": "review", "id": chosen, "data": {"mechanic": str(garage.pk), "rating": 4}}
    )

    assert result["status"] == "ok"
    assert result["data"] == posted
    assert Review.objects.count() == 1


def test_a_pushed_review_is_made_edited_and_deleted_and_the_feed_follows(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    client = client_for(driver)
    chosen = str(uuid.uuid4())
    create = {"op": "create", "type": "review", "id": chosen, "data": {"mechanic": str(garage.pk), "rating": 2}}

    [made] = push(client, create)
    assert made["status"] == "ok"
    assert feed(client, "review")[chosen]["data"]["rating"] == 2

    edit = {"op": "update", "type": "review", "id": chosen, "base_version": made["version"], "data": {"rating": 5}}
    first, again = push(client, edit), push(client, edit)
    assert [first[0]["status"], again[0]["status"]] == ["ok", "ok"]
    assert first[0]["data"]["rating"] == again[0]["data"]["rating"] == 5
    assert again[0]["version"] == first[0]["version"] == version(chosen)
    garage.refresh_from_db()
    assert (garage.rating, garage.rating_count) == (5, 1)

    [stale] = push(client, {**edit, "data": {"rating": 1}})
    assert stale["status"] == "conflict"
    assert stale["data"]["rating"] == 5

    [gone] = push(client, {"op": "delete", "type": "review", "id": chosen, "base_version": version(chosen)})
    assert gone["status"] == "ok"
    assert not Review.objects.exists()
    assert feed(client, "review")[chosen] == {
        "type": "review",
        "id": chosen,
        "version": version(chosen),
        "deleted": True,
        "data": None,
    }


def test_a_push_never_reaches_another_drivers_review(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    theirs = client_for(other_driver).post(reviews_url(garage), {"rating": 3}, format="json").json()
    base = version(theirs["id"])

    results = push(
        client_for(driver),
        {"op": "update", "type": "review", "id": theirs["id"], "base_version": base, "data": {"rating": 1}},
        {"op": "delete", "type": "review", "id": theirs["id"], "base_version": base},
    )

    assert [result["status"] for result in results] == ["not_found", "not_found"]
    assert theirs["id"] not in feed(client_for(driver), "review")
    assert Review.objects.get(pk=theirs["id"]).rating == 3


def test_a_pushed_review_of_no_garage_is_invalid(driver: User, client_for: Callable[[User], APIClient]) -> None:
    nowhere = str(uuid.uuid4())

    [result] = push(
        client_for(driver),
        {"op": "create", "type": "review", "id": str(uuid.uuid4()), "data": {"mechanic": nowhere, "rating": 4}},
    )

    assert result["status"] == "invalid"
    assert "mechanic" in result["error"]["fields"]
    assert not Review.objects.exists()


def test_pushed_and_posted_reviews_share_one_rate_limit(
    driver: User, client_for: Callable[[User], APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two reviews an hour instead of twenty, so the limit is reached with three garages.
    monkeypatch.setitem(ReviewThrottle.THROTTLE_RATES, "review_write", "2/hour")
    first, second, third = (make_listing(name) for name in ("Garage Un", "Garage Deux", "Garage Trois"))
    client = client_for(driver)
    assert client.post(reviews_url(first), {"rating": 4}, format="json").status_code == HTTPStatus.CREATED

    pushed = [
        {"op": "create", "type": "review", "id": str(uuid.uuid4()), "data": {"mechanic": str(garage.pk), "rating": 3}}
        for garage in (second, third)
    ]
    made, refused = push(client, *pushed)

    assert made["status"] == "ok"
    assert refused["status"] == "throttled"
    assert refused["error"]["code"] == "throttled"
    assert refused["data"] is None
    assert set(Review.objects.values_list("mechanic_id", flat=True)) == {first.pk, second.pk}
    assert pushed[1]["id"] not in feed(client, "review")
    # The push used up the budget the route counts against too.
    assert client.post(reviews_url(third), {"rating": 3}, format="json").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not Review.objects.filter(mechanic=third).exists()


def test_a_review_is_read_with_its_version_and_a_stale_if_match_changes_nothing(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    client = client_for(driver)
    review = client.post(reviews_url(garage), {"id": str(uuid.uuid4()), "rating": 3}, format="json").json()
    url = f"/api/v1/reviews/{review['id']}"
    read = client.get(url)
    assert read["ETag"] == f'"{version(review["id"])}"'

    edited = client.patch(url, {"rating": 4}, format="json", HTTP_IF_MATCH=read["ETag"])
    stale_edit = client.patch(url, {"rating": 1}, format="json", HTTP_IF_MATCH=read["ETag"])
    stale_delete = client.delete(url, HTTP_IF_MATCH=read["ETag"])
    bad_delete = client.delete(url, HTTP_IF_MATCH="yesterday")

    assert edited.status_code == HTTPStatus.OK
    assert edited["ETag"] == f'"{version(review["id"])}"' != read["ETag"]
    assert [stale_edit.status_code, stale_delete.status_code] == [HTTPStatus.PRECONDITION_FAILED] * 2
    assert stale_edit.json()["error"]["code"] == "precondition_failed"
    assert bad_delete.status_code == HTTPStatus.BAD_REQUEST
    assert Review.objects.get().rating == 4
    assert client.delete(url, HTTP_IF_MATCH=edited["ETag"]).status_code == HTTPStatus.NO_CONTENT
    assert not Review.objects.exists()


# --- Feedback on a diagnostic ----------------------------------------------------------------------------


def test_anonymous_feedback_with_a_client_id_is_a_401(api_client: APIClient, driver: User, light: WarningLight) -> None:
    record, finding = completed_diagnosis(driver, light)
    body = {"id": str(uuid.uuid4()), "findings": [{"finding": finding, "verdict": "confirmed"}]}

    response = api_client.post(feedback_url(record), body, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not DiagnosticFeedback.objects.exists()


def test_feedback_with_a_client_id_on_another_drivers_diagnostic_is_a_404(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    record, finding = completed_diagnosis(other_driver, light)
    body = {"id": str(uuid.uuid4()), "findings": [{"finding": finding, "verdict": "rejected"}]}

    response = client_for(driver).post(feedback_url(record), body, format="json")
    [pushed] = push(
        client_for(driver),
        {"op": "create", "type": "feedback", "id": body["id"], "data": {**body, "diagnostic": str(record.pk)}},
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert pushed["status"] == "invalid"
    assert "diagnostic" in pushed["error"]["fields"]
    assert not DiagnosticFeedback.objects.exists()


def test_feedback_keeps_the_client_id_and_a_repeat_is_not_applied_twice(
    driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    client = client_for(driver)
    record, finding = completed_diagnosis(driver, light)
    body = {"id": str(uuid.uuid4()), "findings": [{"finding": finding, "verdict": "confirmed"}], "note": "Alternator"}

    first = client.post(feedback_url(record), body, format="json")
    again = client.post(feedback_url(record), body, format="json")

    assert first.status_code == HTTPStatus.CREATED
    assert first.json()["id"] == body["id"]
    assert first["ETag"] == f'"{version(body["id"])}"'
    assert again.status_code == HTTPStatus.OK
    assert again.json() == first.json()
    stored = DiagnosticFeedback.objects.get()
    assert (str(stored.pk), stored.revision, stored.note) == (body["id"], 1, "Alternator")
    assert client.get(feedback_url(record))["ETag"] == first["ETag"]


def test_a_feedback_id_with_another_body_is_a_409_and_changes_nothing(
    driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    client = client_for(driver)
    record, finding = completed_diagnosis(driver, light)
    body = {"id": str(uuid.uuid4()), "findings": [{"finding": finding, "verdict": "confirmed"}]}
    client.post(feedback_url(record), body, format="json")

    response = client.post(
        feedback_url(record), {**body, "findings": [{"finding": finding, "verdict": "rejected"}]}, format="json"
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "id_conflict"
    stored = DiagnosticFeedback.objects.get()
    assert stored.revision == 1
    assert list(stored.findings.values_list("verdict", flat=True)) == ["confirmed"]


def test_a_new_feedback_id_never_overwrites_feedback_sent_from_another_phone(
    driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    client = client_for(driver)
    record, finding = completed_diagnosis(driver, light)
    client.post(feedback_url(record), {"findings": [{"finding": finding, "verdict": "confirmed"}]}, format="json")

    response = client.post(
        feedback_url(record),
        {"id": str(uuid.uuid4()), "findings": [{"finding": finding, "verdict": "rejected"}]},
        format="json",
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "feedback_exists"
    stored = DiagnosticFeedback.objects.get()
    assert stored.revision == 1
    assert list(stored.findings.values_list("verdict", flat=True)) == ["confirmed"]


def test_feedback_with_a_malformed_id_is_a_400(
    driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    record, finding = completed_diagnosis(driver, light)

    response = client_for(driver).post(
        feedback_url(record), {"id": "42", "findings": [{"finding": finding, "verdict": "confirmed"}]}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "id" in response.json()["error"]["fields"]
    assert not DiagnosticFeedback.objects.exists()


def test_pushed_feedback_is_made_then_corrected_and_the_feed_follows(
    driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    client = client_for(driver)
    record, finding = completed_diagnosis(driver, light)
    chosen = str(uuid.uuid4())
    verdict = {"findings": [{"finding": finding, "verdict": "confirmed"}], "diagnostic": str(record.pk)}
    create = {"op": "create", "type": "feedback", "id": chosen, "data": verdict}

    made, made_again = push(client, create)[0], push(client, create)[0]
    assert [made["status"], made_again["status"]] == ["ok", "ok"]
    assert made["data"]["diagnostic"] == str(record.pk)
    assert feed(client, "feedback")[chosen]["data"]["findings"][0]["verdict"] == "confirmed"

    correction = {
        "op": "update",
        "type": "feedback",
        "id": chosen,
        "base_version": made["version"],
        "data": {"findings": [{"finding": finding, "verdict": "rejected"}], "note": "It was the fuse"},
    }
    [fixed] = push(client, correction)
    [stale] = push(client, {**correction, "data": {"note": "Older thought"}})

    assert fixed["status"] == "ok"
    assert (fixed["data"]["revision"], fixed["data"]["note"]) == (2, "It was the fuse")
    assert stale["status"] == "conflict"
    assert stale["data"]["note"] == "It was the fuse"
    entry = feed(client, "feedback")[chosen]
    assert (entry["version"], entry["data"]["findings"][0]["verdict"]) == (version(chosen), "rejected")
    assert DiagnosticFeedback.objects.get().revision == 2

    assert client.delete(f"{DIAGNOSTICS}/{record.pk}").status_code == HTTPStatus.NO_CONTENT
    assert feed(client, "feedback")[chosen]["deleted"] is True


def test_the_feed_never_shows_another_drivers_feedback(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    record, finding = completed_diagnosis(other_driver, light)
    client_for(other_driver).post(
        feedback_url(record), {"findings": [{"finding": finding, "verdict": "confirmed"}]}, format="json"
    )

    assert feed(client_for(driver), "feedback") == {}
    assert len(feed(client_for(other_driver), "feedback")) == 1


# --- Notifications' read state -----------------------------------------------------------------------------


def test_reading_a_notification_needs_a_signed_in_owner(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    message = notification(driver)

    anonymous = api_client.post(f"{NOTIFICATIONS}/{message.pk}/read")
    other = client_for(other_driver).post(f"{NOTIFICATIONS}/{message.pk}/read")
    [pushed] = push(
        client_for(other_driver),
        {"op": "update", "type": "notification", "id": str(message.pk), "data": {"is_read": True}},
    )

    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert other.status_code == HTTPStatus.NOT_FOUND
    assert pushed["status"] == "not_found"
    message.refresh_from_db()
    assert not message.is_read


def test_reading_a_notification_twice_keeps_the_first_read(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    message = notification(driver)

    first = client.post(f"{NOTIFICATIONS}/{message.pk}/read")
    again = client.post(f"{NOTIFICATIONS}/{message.pk}/read")

    assert first.status_code == again.status_code == HTTPStatus.OK
    assert first.json()["is_read"] is True
    assert again.json()["read_at"] == first.json()["read_at"]
    assert first["ETag"] == again["ETag"] == f'"{version(message.pk)}"'


def test_a_read_made_offline_reaches_the_server_once_and_the_feed(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    message = notification(driver)
    unread = feed(client, "notification")[str(message.pk)]
    assert unread["data"]["is_read"] is False
    read = {"op": "update", "type": "notification", "id": str(message.pk), "data": {"is_read": True}}

    [first] = push(client, {**read, "base_version": unread["version"]})
    read_at = Notification.objects.get().read_at
    [retry] = push(client, {**read, "base_version": unread["version"]})

    assert [first["status"], retry["status"]] == ["ok", "ok"]
    assert first["version"] == retry["version"] == version(message.pk) > unread["version"]
    assert Notification.objects.get().read_at == read_at
    entry = feed(client, "notification")[str(message.pk)]
    assert (entry["version"], entry["data"]["is_read"]) == (first["version"], True)


def test_two_phones_reading_one_notification_offline_are_no_conflict(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    message = notification(driver)
    seen = version(message.pk)
    read = {"op": "update", "type": "notification", "id": str(message.pk), "data": {"is_read": True}}

    [phone] = push(client_for(driver), {**read, "base_version": seen})
    [tablet] = push(client_for(driver), {**read, "base_version": seen})
    [no_version] = push(client_for(driver), read)

    assert [phone["status"], tablet["status"], no_version["status"]] == ["ok", "ok", "ok"]
    assert tablet["version"] == phone["version"]
    assert tablet["data"]["read_at"] == phone["data"]["read_at"]


def test_a_notification_cannot_be_pushed_unread_made_or_deleted(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    message = notification(driver, is_read=True)
    target = {"type": "notification", "id": str(message.pk)}

    unread, made, deleted = push(
        client_for(driver),
        {"op": "update", **target, "data": {"is_read": False}},
        {"op": "create", "type": "notification", "id": str(uuid.uuid4()), "data": {"title": "Mine"}},
        {"op": "delete", **target, "base_version": version(message.pk)},
    )

    assert [unread["status"], made["status"], deleted["status"]] == ["invalid", "invalid", "invalid"]
    assert "is_read" in unread["error"]["fields"]
    assert Notification.objects.get().is_read is True


def test_a_push_with_a_malformed_id_is_a_400(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(
        PUSH,
        {"operations": [{"op": "update", "type": "notification", "id": "nope", "data": {"is_read": True}}]},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"operations": ["0.id: Must be a valid UUID."]}


# --- Races (PostgreSQL) -----------------------------------------------------------------------------------


def race(client_for: Callable[[User], APIClient], user: User, url: str, body: dict[str, Any]) -> list[tuple[int, str]]:
    """Six clients of ``user`` post ``body`` to ``url`` at the same moment; their statuses and ids."""
    racers = 6
    start = threading.Barrier(racers)
    answers: list[tuple[int, str]] = []

    def post(api: APIClient) -> None:
        try:
            start.wait()
            response = api.post(url, body, format="json")
            answers.append((response.status_code, response.json().get("id", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client_for(user),)) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_racing_reviews_with_one_client_id_make_one_review(
    driver: User, client_for: Callable[[User], APIClient], garage: Mechanic
) -> None:
    chosen = str(uuid.uuid4())

    answers = race(client_for, driver, reviews_url(garage), {"id": chosen, "rating": 4})

    assert sorted(status for status, _ in answers) == [HTTPStatus.OK] * 5 + [HTTPStatus.CREATED]
    assert {object_id for _, object_id in answers} == {chosen}
    assert Review.objects.filter(user=driver).count() == 1


@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_racing_feedback_with_one_client_id_is_sent_once(
    driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    record, finding = completed_diagnosis(driver, light)
    chosen = str(uuid.uuid4())
    body = {"id": chosen, "findings": [{"finding": finding, "verdict": "confirmed"}]}

    answers = race(client_for, driver, feedback_url(record), body)

    assert sorted(status for status, _ in answers) == [HTTPStatus.OK] * 5 + [HTTPStatus.CREATED]
    assert {object_id for _, object_id in answers} == {chosen}
    assert list(DiagnosticFeedback.objects.values_list("id", "revision")) == [(uuid.UUID(chosen), 1)]


def test_reading_all_notifications_reaches_a_phone_that_already_pulled(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    message = notification(driver)
    cursor = client.get(FEED).json()["cursor"]

    assert client.post(f"{NOTIFICATIONS}/read-all").json()["marked_read"] == 1

    entries = client.get(FEED, {"cursor": cursor}).json()["entries"]
    assert [(entry["id"], entry["data"]["is_read"]) for entry in entries] == [(str(message.pk), True)]


def test_feedback_whose_findings_a_failed_rerun_removed_reaches_a_phone_that_already_pulled(
    driver: User, client_for: Callable[[User], APIClient], light: WarningLight
) -> None:
    client = client_for(driver)
    record, finding = completed_diagnosis(driver, light)
    sent = client.post(
        feedback_url(record),
        {"id": str(uuid.uuid4()), "findings": [{"finding": finding, "verdict": "confirmed"}]},
        format="json",
    ).json()
    cursor = client.get(FEED, {"limit": 500}).json()["cursor"]
    # A re-analysis that hung past its last attempt: the sweep fails it, and its old result goes.
    DiagnosticRecord.objects.filter(pk=record.pk).update(
        status="in_progress", started_at=timezone.now() - timedelta(hours=1), attempts=3
    )

    assert sweep_stuck_diagnostics()["failed"] == 1

    entries = {entry["type"]: entry for entry in client.get(FEED, {"cursor": cursor}).json()["entries"]}
    assert entries["feedback"]["id"] == sent["id"]
    assert entries["feedback"]["data"]["findings"][0]["finding"] is None
    assert entries["diagnostic"]["data"]["status"] == "failed"
