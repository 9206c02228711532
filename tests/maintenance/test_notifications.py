"""/api/v1/notifications: the driver's inbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from maintenance.models import Notification
from tests.conftest import RLS_QUERIES
from tests.maintenance.conftest import make_record

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications"


def notify(user: User, title: str, *, minutes_ago: int, is_read: bool = False) -> Notification:
    notification = baker.make(Notification, user=user, kind="system", title=title, is_read=is_read)
    # created_at is auto_now_add; an UPDATE sets the age the ordering is about.
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return notification


def test_the_inbox_lists_unread_first_then_newest(driver: User, client_for: Callable[[User], APIClient]) -> None:
    notify(driver, "old unread", minutes_ago=60)
    notify(driver, "new read", minutes_ago=1, is_read=True)
    notify(driver, "new unread", minutes_ago=5)
    notify(driver, "old read", minutes_ago=90, is_read=True)

    response = client_for(driver).get(LIST)

    assert response.status_code == HTTPStatus.OK
    titles = [row["title"] for row in response.json()["results"]]
    assert titles == ["new unread", "old unread", "new read", "old read"]


def test_the_inbox_holds_only_the_drivers_own_notifications(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    notify(other_driver, "theirs", minutes_ago=1)

    assert client_for(driver).get(LIST).json()["results"] == []


def test_marking_one_read(driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = make_record(driver)
    notification = baker.make(Notification, user=driver, kind="maintenance_due", maintenance_record=record)
    client = client_for(driver)

    response = client.post(f"{LIST}/{notification.pk}/read")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["is_read"] is True
    assert response.json()["maintenance_record"] == str(record.pk)
    notification.refresh_from_db()
    first_read_at = notification.read_at
    assert notification.is_read and first_read_at is not None
    assert client.post(f"{LIST}/{notification.pk}/read").status_code == HTTPStatus.OK
    notification.refresh_from_db()
    assert notification.read_at == first_read_at


def test_marking_all_read_touches_only_the_drivers_own(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    notify(driver, "a", minutes_ago=1)
    notify(driver, "b", minutes_ago=2)
    notify(driver, "c", minutes_ago=3, is_read=True)
    theirs = notify(other_driver, "theirs", minutes_ago=1)

    response = client_for(driver).post(f"{LIST}/read-all")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"marked_read": 2}
    assert not Notification.objects.filter(user=driver, is_read=False).exists()
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_another_drivers_notification_is_not_found(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    theirs = notify(other_driver, "theirs", minutes_ago=1)

    response = client_for(driver).post(f"{LIST}/{theirs.pk}/read")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_anonymous_callers_get_401(driver: User, api_client: APIClient) -> None:
    notification = notify(driver, "mine", minutes_ago=1)

    responses = [
        api_client.get(LIST),
        api_client.post(f"{LIST}/{notification.pk}/read"),
        api_client.post(f"{LIST}/read-all"),
    ]

    assert [r.status_code for r in responses] == [HTTPStatus.UNAUTHORIZED] * 3
    notification.refresh_from_db()
    assert not notification.is_read


def test_the_inbox_runs_a_constant_number_of_queries(
    driver: User, client_for: Callable[[User], APIClient], django_assert_max_num_queries: Callable[[int], object]
) -> None:
    client = client_for(driver)
    record = make_record(driver)
    baker.make(Notification, user=driver, kind="maintenance_due", maintenance_record=record)
    with django_assert_max_num_queries(3 + RLS_QUERIES) as few:
        client.get(LIST)

    for index in range(20):
        other = make_record(driver, title=f"job {index}")
        baker.make(Notification, user=driver, kind="maintenance_overdue", maintenance_record=other)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{LIST}?page_size=50")

    assert response.json()["count"] == 21
