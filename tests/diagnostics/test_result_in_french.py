"""A whole result read with ``Accept-Language: fr``: every text a driver reads is French, and so is a 400.

The result mixes every kind of finding (an engine sound over its span, a warning light, a scanner's trouble
code), their repairs and the demo garages near Yaoundé, and a retake hint for the photo. The same result is
read in English too, and the two are walked side by side: a text that reads the same in both is English left
behind, unless its field holds data rather than words (codes, names of garages, figures, links).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.services import content_seed
from catalog.models import EngineSound, TroubleCode, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from directory.models import Service

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"
YAOUNDE = "3.8667,11.5167"
# Fields whose values are data, the same in every language: codes, identifiers, figures, links, and what
# garages call themselves. Everything else is a text for the driver.
LANGUAGE_NEUTRAL = {
    "id",
    "code",
    "kind",
    "severity",
    "colour",
    "sound_type",
    "urgency",
    "category",
    "media",
    "source",
    "created_at",
    "icon_url",
    "youtube_url",
    "difficulty",
    "warning_lights",
    "engine_sounds",
    "business_name",
    "address",
    "phone",
    "currency",
    "price",
    "cost_min",
    "cost_max",
    "rating",
    "version",
}


@pytest.fixture
def seeded(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    content_seed(demo=True)


def _mixed_result(driver: User) -> DiagnosticRecord:
    record = baker.make(DiagnosticRecord, user=driver, diagnostic_type="combined", status="completed")
    result = baker.make(DiagnosticResult, record=record, overall_confidence=0.9, urgency="immediate")
    result.image_hint = "too_dark"
    result.save(update_fields=["image_hint"])
    baker.make(
        Detection,
        result=result,
        engine_sound=EngineSound.objects.get(code="water_pump"),
        confidence=0.9,
        start_s=3.0,
        end_s=6.0,
    )
    baker.make(Detection, result=result, warning_light=WarningLight.objects.get(code="battery"), confidence=0.8)
    baker.make(Detection, result=result, trouble_code=TroubleCode.objects.get(code="P0301"), confidence=1.0)
    return record


def _texts(french: Any, english: Any, key: str = "") -> Iterator[tuple[str, str, str]]:
    """Every (field, French, English) pair of texts, walking both answers in step."""
    if key in LANGUAGE_NEUTRAL:
        return
    if isinstance(french, dict):
        assert french.keys() == english.keys()
        for name in french:
            yield from _texts(french[name], english[name], name)
    elif isinstance(french, list):
        assert len(french) == len(english), key
        for one, other in zip(french, english, strict=True):
            yield from _texts(one, other, key)
    elif isinstance(french, str):
        yield key, french, english


def test_a_whole_result_reads_in_french(seeded: None, driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = _mixed_result(driver)
    client = client_for(driver)
    url = f"{URL}/{record.pk}/results"

    french = client.get(url, {"near": YAOUNDE}, HTTP_ACCEPT_LANGUAGE="fr-CM,fr;q=0.9")
    english = client.get(url, {"near": YAOUNDE}, HTTP_ACCEPT_LANGUAGE="en")

    assert french.status_code == english.status_code == HTTPStatus.OK
    assert french["Content-Language"] == "fr"
    fr, en = french.json(), english.json()
    texts = list(_texts(fr, en))
    left_in_english = [(field, text) for field, text, other in texts if text == other]
    assert left_in_english == []
    # What was walked: every part of the result, not an empty answer.
    assert {field for field, _, _ in texts} >= {
        "urgency_label",
        "name",
        "description",
        "common_causes",
        "repair_suggestions",
        "title",
        "message",
        "retake",
    }
    assert fr["urgency_label"] == "Immédiate"
    entries = {d["entry"]["code"]: d for d in fr["detections"]}
    assert entries["P0301"]["entry"]["name"] == "P0301 Raté d'allumage détecté sur le cylindre 1"
    assert entries["battery"]["entry"]["name"] == WarningLight.objects.get(code="battery").name_fr
    pump = entries["water_pump"]
    assert pump["entry"]["description"] == EngineSound.objects.get(code="water_pump").description_fr
    repairs = {r["service"]["id"]: r for r in pump["repairs"]}
    stored = Service.objects.get(name_en="Water pump replacement")
    assert repairs[str(stored.pk)]["service"]["name"] == stored.name_fr != stored.name_en
    garages = repairs[str(stored.pk)]["garages"]
    assert garages, "the demo garages near Yaoundé offer the repair"
    assert all(isinstance(g["open_now"], bool) and g["distance_km"] >= 0 for g in garages)
    (hint,) = fr["hints"]
    assert (hint["media"], hint["code"]) == ("image", "too_dark")
    assert hint["retake"].startswith("Mettez le contact")


def test_a_bad_request_on_the_result_is_french_in_the_one_error_shape(
    seeded: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _mixed_result(driver)
    client = client_for(driver)

    near = client.get(f"{URL}/{record.pk}/results", {"near": "yaounde"}, HTTP_ACCEPT_LANGUAGE="fr")
    code = client.post(
        URL, {"diagnostic_type": "trouble_codes", "dtc_codes": ["P301"]}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    place = client.post(
        URL,
        {"diagnostic_type": "trouble_codes", "dtc_codes": ["P0301"], "latitude": 3.8},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    lookup = client.get("/api/v1/trouble-codes/P301", HTTP_ACCEPT_LANGUAGE="fr")

    assert near.status_code == code.status_code == place.status_code == lookup.status_code == HTTPStatus.BAD_REQUEST
    error = near.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["near"] == [
        "Donnez near sous la forme latitude,longitude en degrés décimaux, par exemple 3.8480,11.5021."
    ]
    assert error["message"] == error["fields"]["near"][0]
    assert code.json()["error"]["fields"]["dtc_codes"] == [
        "0: Un code défaut est une lettre P, B, C ou U, puis un chiffre de 0 à 3, puis trois chiffres ou lettres "
        "de A à F (par exemple P0301)."
    ]
    assert place.json()["error"]["fields"]["longitude"] == [
        "Envoyez la latitude et la longitude ensemble, ou aucune des deux."
    ]
    assert lookup.json()["error"]["fields"]["code"] == [
        "« P301 » n'est pas un code défaut : il faut une lettre P, B, C ou U, puis un chiffre de 0 à 3, puis "
        "trois chiffres ou lettres de A à F (par exemple P0301)."
    ]
    assert not DiagnosticRecord.objects.exclude(pk=record.pk).exists()
