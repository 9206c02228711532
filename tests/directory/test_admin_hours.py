"""Staff edit a garage's working hours in the console as a week of 24-hour times, not as raw JSON."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from directory.models import Mechanic
from tests.admin_form import form_data

pytestmark = pytest.mark.django_db


def _url(listing: Mechanic) -> str:
    return reverse("admin:directory_mechanic_change", args=[listing.pk])


def _form(client: Client, listing: Mechanic) -> dict[str, object]:
    return form_data(client.get(_url(listing)).content.decode(), "mechanic_form")


def test_every_day_shows_its_spans_as_hh_mm_inputs(client: Client, staff: User, listing: Mechanic) -> None:
    client.force_login(staff)
    page = client.get(_url(listing)).content.decode()
    data = form_data(page, "mechanic_form")

    assert (data["working_hours_mon_0_opens"], data["working_hours_mon_0_closes"]) == ("08:00", "18:00")
    assert (data["working_hours_mon_1_opens"], data["working_hours_mon_1_closes"]) == ("", "")
    assert data["working_hours_sun_0_opens"] == ""
    assert '<th scope="row">Sunday</th>' in page
    assert 'name="working_hours"' not in page  # no raw JSON box


def test_staff_split_a_day_close_another_and_the_listing_keeps_the_json_shape(
    client: Client, staff: User, listing: Mechanic
) -> None:
    client.force_login(staff)
    data = _form(client, listing)
    data.update(
        working_hours_tue_0_opens="8:00",
        working_hours_tue_0_closes="12:30",
        working_hours_tue_1_opens="14:00",
        working_hours_tue_1_closes="18:00",
        working_hours_wed_0_opens="",
        working_hours_wed_0_closes="",
    )

    response = client.post(_url(listing), data)

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]
    listing.refresh_from_db()
    assert listing.working_hours["tue"] == [["08:00", "12:30"], ["14:00", "18:00"]]
    assert listing.working_hours["wed"] == []
    assert listing.working_hours["mon"] == [["08:00", "18:00"]]
    assert set(listing.working_hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"working_hours_thu_0_opens": "6pm"}, "Thursday: times are 24-hour HH:MM, e.g. 08:00 or 18:30."),
        ({"working_hours_thu_0_closes": ""}, "Thursday: give both times of opening span 1, or neither."),
        # A span may run past midnight (19:00 to 02:00), so only an empty span is refused.
        ({"working_hours_thu_0_opens": "18:00"}, "thu: 18:00 to 18:00 opens and closes at the same time."),
        (
            {"working_hours_thu_1_opens": "17:00", "working_hours_thu_1_closes": "20:00"},
            "thu: spans must be in order and must not overlap.",
        ),
    ],
    ids=["am-pm", "half-a-span", "opens-as-it-closes", "overlap"],
)
def test_bad_hours_are_refused_next_to_the_field_and_nothing_is_saved(
    client: Client, staff: User, listing: Mechanic, changes: dict[str, str], message: str
) -> None:
    before = Mechanic.objects.get(pk=listing.pk).working_hours
    client.force_login(staff)
    data = _form(client, listing)
    data.update(changes)
    data["phone"] = "+237 600 00 00 00"

    response = client.post(_url(listing), data)

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert message in page
    # What staff typed stays in the inputs, so they can correct it.
    for name, value in changes.items():
        assert form_data(page, "mechanic_form")[name] == value
    listing.refresh_from_db()
    assert listing.working_hours == before
    assert listing.phone != "+237 600 00 00 00"
