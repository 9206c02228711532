"""The iCalendar feed and its secret token."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from cardoc.models import AuditEvent
from maintenance.ical import fold
from maintenance.models import CalendarFeed, MaintenanceRecord
from tests.conftest import RLS_QUERIES
from tests.maintenance.conftest import make_record, today_for

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/maintenance/calendar-token"
FEED_URL = "/api/v1/maintenance/calendar.ics"


# --- A minimal RFC 5545 reader, so the tests check the wire format rather than our own writer -------


def unfold(text: str) -> list[str]:
    assert "\n" not in text.replace("\r\n", ""), "every line must end in CRLF"
    assert text.endswith("\r\n")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse_calendar(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The calendar's own properties and one dict per VEVENT; parameters are kept in the key."""
    calendar: dict[str, str] = {}
    events: list[dict[str, str]] = []
    stack: list[str] = []
    for line in unfold(text):
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value, f"END:{value} closes the wrong component"
        elif stack == ["VCALENDAR"]:
            calendar[name] = value
        elif stack == ["VCALENDAR", "VEVENT"]:
            events[-1][name] = value
    assert stack == [], "unclosed component"
    return calendar, events


def subscribe(client: APIClient) -> str:
    response = client.post(TOKEN_URL)
    assert response.status_code in {HTTPStatus.CREATED, HTTPStatus.OK}
    return response.json()["feed_url"]


def fetch(api_client: APIClient, feed_url: str) -> object:
    parts = urlsplit(feed_url)
    return api_client.get(parts.path, {"token": parse_qs(parts.query)["token"][0]}, HTTP_ACCEPT="text/calendar")


# --- The feed ----------------------------------------------------------------------------------------


def test_the_feed_holds_exactly_the_open_records_as_all_day_events(
    driver: User,
    other_driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    api_client: APIClient,
) -> None:
    today = today_for(driver)
    upcoming = make_record(driver, vehicle=vehicle, days_from_today=5, title="Oil change")
    overdue = make_record(driver, days_from_today=-2, title="Brake pads")
    make_record(driver, days_from_today=-9, completed_date=today - timedelta(days=8), title="Done already")
    make_record(other_driver, days_from_today=5, title="Someone else's")
    feed_url = subscribe(client_for(driver))

    response = fetch(api_client, feed_url)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar, events = parse_calendar(response.content.decode())
    assert (calendar["VERSION"], calendar["PRODID"]) == ("2.0", "-//CarDoc AI//Maintenance calendar//EN")
    by_uid = {event["UID"]: event for event in events}
    assert set(by_uid) == {
        f"maintenance-{upcoming.pk}@cardoc.example",
        f"maintenance-{overdue.pk}@cardoc.example",
    }
    event = by_uid[f"maintenance-{upcoming.pk}@cardoc.example"]
    start = upcoming.scheduled_date
    assert event["DTSTART;VALUE=DATE"] == f"{start:%Y%m%d}"
    assert event["DTEND;VALUE=DATE"] == f"{start + timedelta(days=1):%Y%m%d}"
    assert unescape(event["SUMMARY"]) == "Oil change (Corolla)"
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])


def test_the_uid_is_stable_across_edits_and_fetches(
    driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    record = make_record(driver, days_from_today=5)
    client = client_for(driver)
    feed_url = subscribe(client)
    _, before = parse_calendar(fetch(api_client, feed_url).content.decode())

    client.patch(f"/api/v1/maintenance/{record.pk}", {"scheduled_date": "2031-01-02", "title": "Oil + filter"})
    _, after = parse_calendar(fetch(api_client, feed_url).content.decode())

    assert [event["UID"] for event in before] == [event["UID"] for event in after]
    assert (after[0]["DTSTART;VALUE=DATE"], unescape(after[0]["SUMMARY"])) == ("20310102", "Oil + filter")


def test_text_is_escaped_and_long_lines_are_folded(
    driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    title = "Brakes; pads, discs \\ fluid"
    notes = "Line one\nLigne deux, très longue: " + "é" * 80 + "\r\nEnd;"
    make_record(driver, title=title, notes=notes, days_from_today=1)

    response = fetch(api_client, subscribe(client_for(driver)))

    raw = response.content
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "a physical line is longer than 75 octets"
    raw.decode("utf-8")  # folding never splits a multi-byte character
    _, [event] = parse_calendar(raw.decode())
    assert event["SUMMARY"] == "Brakes\\; pads\\, discs \\\\ fluid"
    assert unescape(event["SUMMARY"]) == title
    assert unescape(event["DESCRIPTION"]) == notes.replace("\r\n", "\n")


def test_folding_keeps_every_character_and_respects_the_octet_limit() -> None:
    line = "DESCRIPTION:" + "a€" * 100

    physical = fold(line).split("\r\n")

    assert all(len(part.encode()) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert "".join([physical[0], *(part[1:] for part in physical[1:])]) == line


def test_an_empty_plan_is_still_a_valid_calendar(
    driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    calendar, events = parse_calendar(fetch(api_client, subscribe(client_for(driver))).content.decode())

    assert events == []
    assert calendar["X-WR-CALNAME"] == "CarDoc AI maintenance"


def test_the_feed_runs_a_constant_number_of_queries(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    api_client: APIClient,
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    feed_url = subscribe(client_for(driver))
    make_record(driver, vehicle=vehicle)
    with django_assert_max_num_queries(3 + RLS_QUERIES) as few:
        fetch(api_client, feed_url)

    for days in range(30):
        make_record(driver, vehicle=vehicle, days_from_today=days)
    with django_assert_max_num_queries(len(few.captured_queries)):
        _, events = parse_calendar(fetch(api_client, feed_url).content.decode())

    assert len(events) == 31


# --- The token -----------------------------------------------------------------------------------------


def test_a_wrong_or_missing_token_is_not_found(driver: User, api_client: APIClient) -> None:
    make_record(driver)

    for query in ({"token": "guess"}, {}):
        response = api_client.get(FEED_URL, query)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["error"]["code"] == "not_found"


def test_the_token_is_issued_once_and_only_its_hash_is_stored(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(TOKEN_URL)

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    token = parse_qs(urlsplit(body["feed_url"]).query)["token"][0]
    assert len(token) >= 43
    assert body["webcal_url"] == "webcal://" + body["feed_url"].split("://", 1)[1]
    stored = CalendarFeed.objects.get(user=driver)
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64
    assert AuditEvent.objects.filter(user=driver, details__event="calendar_token_created").exists()


def test_resetting_the_token_invalidates_the_old_feed_url(
    driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    make_record(driver, days_from_today=3)
    client = client_for(driver)
    old_url = subscribe(client)
    assert fetch(api_client, old_url).status_code == HTTPStatus.OK

    response = client.post(TOKEN_URL)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["reset_at"] is not None
    new_url = response.json()["feed_url"]
    assert new_url != old_url
    assert fetch(api_client, old_url).status_code == HTTPStatus.NOT_FOUND
    assert fetch(api_client, new_url).status_code == HTTPStatus.OK
    assert CalendarFeed.objects.filter(user=driver).count() == 1


def test_one_drivers_reset_leaves_another_drivers_feed_alone(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    make_record(driver, title="Mine")
    make_record(other_driver, title="Theirs")
    mine = subscribe(client_for(driver))
    theirs = subscribe(client_for(other_driver))

    subscribe(client_for(other_driver))

    _, events = parse_calendar(fetch(api_client, mine).content.decode())
    assert [unescape(event["SUMMARY"]) for event in events] == ["Mine"]
    assert fetch(api_client, theirs).status_code == HTTPStatus.NOT_FOUND


def test_switching_the_feed_off(driver: User, client_for: Callable[[User], APIClient], api_client: APIClient) -> None:
    client = client_for(driver)
    feed_url = subscribe(client)

    assert client.delete(TOKEN_URL).status_code == HTTPStatus.NO_CONTENT
    assert fetch(api_client, feed_url).status_code == HTTPStatus.NOT_FOUND
    assert client.delete(TOKEN_URL).status_code == HTTPStatus.NOT_FOUND


def test_a_french_driver_with_no_feed_is_told_so_in_french(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    # The middleware activates French on this thread; the block puts English back for the tests after this one.
    with translation.override("en"):
        response = client_for(driver).delete(TOKEN_URL, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["message"] == "Vous n'avez pas de flux de calendrier."


def test_a_suspended_accounts_feed_goes_dark(
    driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    feed_url = subscribe(client_for(driver))
    User.objects.filter(pk=driver.pk).update(status=User.Status.SUSPENDED)

    assert fetch(api_client, feed_url).status_code == HTTPStatus.NOT_FOUND


def test_the_token_endpoint_needs_a_signed_in_user(api_client: APIClient) -> None:
    assert api_client.post(TOKEN_URL).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.delete(TOKEN_URL).status_code == HTTPStatus.UNAUTHORIZED
    assert not CalendarFeed.objects.exists()


def test_the_feed_ignores_a_jwt_and_shows_the_tokens_owner(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    make_record(driver, title="Mine", scheduled_date=date(2031, 1, 1))
    feed_url = subscribe(client_for(driver))

    response = fetch(client_for(other_driver), feed_url)

    _, events = parse_calendar(response.content.decode())
    assert [unescape(event["SUMMARY"]) for event in events] == ["Mine"]
    assert MaintenanceRecord.objects.count() == 1
