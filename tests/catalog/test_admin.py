"""Staff edit a catalog entry's causes and repair suggestions as lists of lines, not as raw JSON."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from model_bakery import baker

from accounts.models import User
from catalog.models import EngineSound, WarningLight
from tests.admin_form import form_data

pytestmark = pytest.mark.django_db

CAUSES = ["Low oil level", "Worn oil pump"]
REPAIRS = ["Top up the oil", "Have the pressure measured"]


@pytest.fixture
def light(db: None) -> WarningLight:
    return baker.make(
        WarningLight,
        code="oil_pressure",
        name="Oil pressure",
        severity="critical",
        colour="red",
        description="Oil pressure is low.",
        common_causes_en=CAUSES,  # the English column the admin edits (catalog.translation)
        repair_suggestions_en=REPAIRS,
    )


def _url(entry: WarningLight | EngineSound) -> str:
    return reverse(f"admin:catalog_{entry._meta.model_name}_change", args=[entry.pk])


def test_each_cause_is_its_own_input_with_empty_ones_to_add_more(
    client: Client, staff: User, light: WarningLight
) -> None:
    client.force_login(staff)
    page = client.get(_url(light)).content.decode()
    data = form_data(page, "warninglight_form")

    assert data["common_causes_en"] == [*CAUSES, "", ""]
    assert data["repair_suggestions_en"] == [*REPAIRS, "", ""]
    assert '<textarea name="common_causes_en"' not in page
    assert '<label for="id_common_causes_en_0">' in page


def test_staff_add_reword_and_remove_lines(client: Client, staff: User, light: WarningLight) -> None:
    client.force_login(staff)
    data = form_data(client.get(_url(light)).content.decode(), "warninglight_form")
    data["common_causes_en"] = ["Low oil level", "", "  A faulty   pressure switch ", "Low oil level"]
    data["repair_suggestions_en"] = ["Top up the oil", "Have the pressure measured", "Change the oil", ""]

    response = client.post(_url(light), data)

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    light.refresh_from_db()
    assert light.common_causes == ["Low oil level", "A faulty pressure switch"]
    assert light.repair_suggestions == ["Top up the oil", "Have the pressure measured", "Change the oil"]


def test_an_overlong_line_is_refused_and_nothing_is_saved(client: Client, staff: User, light: WarningLight) -> None:
    client.force_login(staff)
    data = form_data(client.get(_url(light)).content.decode(), "warninglight_form")
    data["common_causes_en"] = ["Fine", "x" * 301]

    response = client.post(_url(light), data)

    assert response.status_code == HTTPStatus.OK
    assert "Item 2: at most 300 characters." in response.content.decode()
    light.refresh_from_db()
    assert light.common_causes == CAUSES


def test_engine_sounds_get_the_same_editor(client: Client, staff: User) -> None:
    sound = baker.make(
        EngineSound,
        code="water_pump",
        name="Water pump whine",
        sound_type="whining",
        severity="moderate",
        description="A whine.",
        frequency_low_hz=500,
        frequency_high_hz=2000,
        common_causes=["Worn bearing"],
        repair_suggestions=[],
    )
    client.force_login(staff)
    data = form_data(client.get(_url(sound)).content.decode(), "enginesound_form")
    assert data["common_causes_en"] == ["Worn bearing", "", ""]
    data["repair_suggestions_en"] = ["Replace the water pump", ""]

    assert client.post(_url(sound), data).status_code == HTTPStatus.FOUND
    sound.refresh_from_db()
    assert sound.repair_suggestions == ["Replace the water pump"]
    assert sound.common_causes == ["Worn bearing"]
