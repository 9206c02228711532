"""Checks on the curated seed content: catalog/seed/catalog.json and directory/seed/demo_mechanics.json.

Plain pytest, no Django: the files are loaded as JSON and checked against the taxonomy and content rules.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG_PATH = REPO_ROOT / "catalog" / "seed" / "catalog.json"
MECHANICS_PATH = REPO_ROOT / "directory" / "seed" / "demo_mechanics.json"

CORE_LIGHT_CODES = (
    "abs",
    "airbag",
    "battery",
    "brake",
    "check_engine",
    "coolant_temp",
    "door_open",
    "fog_light_front",
    "high_beam",
    "immobilizer",
    "lane_departure",
    "low_fuel",
    "oil_pressure",
    "power_steering",
    "seatbelt",
    "tpms",
    "traction_control",
    "transmission_temp",
    "washer_fluid",
)
EXTRA_LIGHT_CODES = (
    "auto_high_beam",
    "auto_hold",
    "blind_spot_off",
    "coolant_cold",
    "cruise_control",
    "eco_mode",
    "headlights_on",
    "low_outside_temp",
    "parking_brake",
    "position_lights",
    "pre_collision_off",
    "rcta_off",
    "traction_control_off",
    "glow_plug",
    "dpf",
    "service_due",
    "fog_light_rear",
    "key_not_detected",
    "brake_pad_wear",
    "adblue",
)
LIGHT_CODES = frozenset(CORE_LIGHT_CODES + EXTRA_LIGHT_CODES)

RECORDED_SOUND_CODES = (
    "normal_idle",
    "ac_compressor",
    "idler_pulley",
    "alternator",
    "worn_bearing",
    "water_pump",
)
EXTRA_SOUND_CODES = (
    "engine_knock",
    "rod_knock",
    "belt_squeal",
    "vacuum_leak",
    "misfire",
    "lifter_tick",
    "exhaust_leak",
    "brake_grinding",
    "wheel_bearing",
    "power_steering_whine",
    "heat_shield_rattle",
)
SOUND_CODES = frozenset(RECORDED_SOUND_CODES + EXTRA_SOUND_CODES)

LIGHT_SEVERITIES = {"critical", "moderate", "informational"}
LIGHT_COLOURS = {"red", "amber", "green", "blue", "white"}
SOUND_TYPES = {"normal", "knocking", "squealing", "hissing", "grinding", "ticking", "whining", "rattling"}
SOUND_SEVERITIES = {"critical", "moderate", "normal"}
SERVICE_CATEGORIES = {
    "maintenance",
    "engine",
    "electrical",
    "brakes",
    "tyres_wheels",
    "cooling",
    "transmission",
    "steering_suspension",
    "exhaust_emissions",
    "diagnostics",
    "bodywork",
}
DIFFICULTIES = {"beginner", "intermediate", "advanced"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Lights whose urgency must be "stop now", and their standard tell-tale colours.
MUST_BE_CRITICAL_LIGHTS = {"oil_pressure", "brake", "coolant_temp", "battery", "airbag"}
MUST_BE_RED = {"oil_pressure", "brake", "coolant_temp", "battery", "airbag", "seatbelt"}
EXPECTED_COLOURS = {
    "high_beam": "blue",
    "coolant_cold": "blue",
    "headlights_on": "green",
    "position_lights": "green",
    "cruise_control": "green",
}

YOUTUBE_SEARCH_PREFIX = "https://www.youtube.com/results?search_query="
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
CM_PHONE_RE = re.compile(r"^\+237 6\d{2} \d{2} \d{2} \d{2}$")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")

CITY_CENTRE = (3.8480, 11.5021)
MAX_DISTANCE_KM = 12.0
MIN_MECHANICS = 32
MIN_SERVICES = 18
MIN_TUTORIALS = 24
PRICE_TOLERANCE = Decimal("0.25")  # garages may charge up to 25% outside the catalog range


@cache
def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def catalog() -> dict[str, Any]:
    return load_json(CATALOG_PATH)


def directory() -> dict[str, Any]:
    return load_json(MECHANICS_PATH)


def sentence_count(text: str) -> int:
    """Rough sentence count: split after '.', '!' or '?' followed by whitespace."""
    return len([part for part in SENTENCE_END_RE.split(text.strip()) if part.strip()])


def is_full_sentence_text(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and stripped[0].isupper() and stripped[-1] in ".!?"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    radius_km = 6371.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = math.radians(lat2 - lat1)
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * radius_km * math.asin(math.sqrt(a))


def to_decimal(value: Any) -> Decimal:
    assert isinstance(value, str), f"money must be a decimal string, got {value!r}"
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise AssertionError(f"not a decimal string: {value!r}") from exc
    assert amount.is_finite() and amount >= 0, value
    return amount


def to_minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def check_text_list(values: Any, label: str, minimum: int = 2) -> None:
    assert isinstance(values, list), f"{label}: must be a list"
    assert len(values) >= minimum, f"{label}: needs at least {minimum} entries"
    assert all(isinstance(v, str) and v.strip() for v in values), f"{label}: entries must be non-empty strings"
    assert len({v.strip().lower() for v in values}) == len(values), f"{label}: duplicate entries"


def service_names() -> set[str]:
    return {service["name"] for service in catalog()["services"]}


# --------------------------------------------------------------------------- catalog: structure


def test_catalog_top_level_keys() -> None:
    assert set(catalog()) == {"warning_lights", "engine_sounds", "services", "tutorials"}


# --------------------------------------------------------------------------- warning lights


def test_every_warning_light_code_exactly_once() -> None:
    codes = [light["code"] for light in catalog()["warning_lights"]]
    assert len(codes) == len(set(codes)), "duplicate warning-light codes"
    assert set(codes) == LIGHT_CODES
    assert len(codes) == 39


@pytest.mark.parametrize("light", load_json(CATALOG_PATH)["warning_lights"], ids=lambda light: light["code"])
def test_warning_light_fields(light: dict[str, Any]) -> None:
    expected_keys = {
        "code",
        "name",
        "manufacturer",
        "description",
        "severity",
        "colour",
        "common_causes",
        "repair_suggestions",
    }
    assert set(light) == expected_keys
    assert isinstance(light["name"], str)
    assert light["name"].strip()
    assert isinstance(light["manufacturer"], str)
    assert light["manufacturer"].strip()
    assert light["severity"] in LIGHT_SEVERITIES
    assert light["colour"] in LIGHT_COLOURS
    assert is_full_sentence_text(light["description"])
    assert 2 <= sentence_count(light["description"]) <= 4, light["description"]
    check_text_list(light["common_causes"], f"{light['code']}.common_causes")
    check_text_list(light["repair_suggestions"], f"{light['code']}.repair_suggestions")


def test_warning_light_names_unique() -> None:
    names = [light["name"] for light in catalog()["warning_lights"]]
    assert len(names) == len(set(names))


def test_warning_light_severities_and_colours_are_sensible() -> None:
    lights = {light["code"]: light for light in catalog()["warning_lights"]}
    for code in MUST_BE_CRITICAL_LIGHTS:
        assert lights[code]["severity"] == "critical", code
    for code in MUST_BE_RED:
        assert lights[code]["colour"] == "red", code
    for code, colour in EXPECTED_COLOURS.items():
        assert lights[code]["colour"] == colour, code
    for code, light in lights.items():
        # Green, blue and white tell-tales are indicators, never faults.
        if light["colour"] in {"green", "blue", "white"}:
            assert light["severity"] == "informational", code
        if light["severity"] == "critical":
            assert light["colour"] == "red", code


# --------------------------------------------------------------------------- engine sounds


def test_every_engine_sound_code_exactly_once() -> None:
    codes = [sound["code"] for sound in catalog()["engine_sounds"]]
    assert len(codes) == len(set(codes)), "duplicate engine-sound codes"
    assert set(codes) == SOUND_CODES
    assert len(codes) == 17


@pytest.mark.parametrize("sound", load_json(CATALOG_PATH)["engine_sounds"], ids=lambda sound: sound["code"])
def test_engine_sound_fields(sound: dict[str, Any]) -> None:
    expected_keys = {
        "code",
        "name",
        "sound_type",
        "description",
        "frequency_low_hz",
        "frequency_high_hz",
        "severity",
        "common_causes",
        "repair_suggestions",
    }
    assert set(sound) == expected_keys
    assert isinstance(sound["name"], str)
    assert sound["name"].strip()
    assert sound["sound_type"] in SOUND_TYPES
    assert sound["severity"] in SOUND_SEVERITIES
    low, high = sound["frequency_low_hz"], sound["frequency_high_hz"]
    assert type(low) is int
    assert type(high) is int
    assert 0 < low < high <= 20000
    assert is_full_sentence_text(sound["description"])
    assert 2 <= sentence_count(sound["description"]) <= 4, sound["description"]
    check_text_list(sound["common_causes"], f"{sound['code']}.common_causes")
    check_text_list(sound["repair_suggestions"], f"{sound['code']}.repair_suggestions")


def test_engine_sound_types_and_severities_are_sensible() -> None:
    sounds = {sound["code"]: sound for sound in catalog()["engine_sounds"]}
    assert sounds["normal_idle"]["sound_type"] == "normal"
    assert sounds["normal_idle"]["severity"] == "normal"
    assert sounds["rod_knock"]["severity"] == "critical"
    for code, sound in sounds.items():
        if code != "normal_idle":
            assert sound["sound_type"] != "normal", code
            assert sound["severity"] != "normal", code


# --------------------------------------------------------------------------- services


def test_enough_services_with_unique_names() -> None:
    names = [service["name"] for service in catalog()["services"]]
    assert len(names) >= MIN_SERVICES
    assert len(names) == len(set(names))


@pytest.mark.parametrize("service", load_json(CATALOG_PATH)["services"], ids=lambda service: service["name"])
def test_service_fields(service: dict[str, Any]) -> None:
    assert set(service) == {"name", "category", "description", "cost_min", "cost_max", "currency"}
    assert service["category"] in SERVICE_CATEGORIES
    assert service["currency"] == "XAF"
    assert is_full_sentence_text(service["description"])
    assert sentence_count(service["description"]) == 1, service["description"]
    cost_min, cost_max = to_decimal(service["cost_min"]), to_decimal(service["cost_max"])
    assert 0 < cost_min <= cost_max
    # XAF has no minor unit in practice: whole francs only.
    assert cost_min == cost_min.to_integral_value()
    assert cost_max == cost_max.to_integral_value()


# --------------------------------------------------------------------------- tutorials


def test_enough_tutorials_with_unique_slugs() -> None:
    slugs = [tutorial["slug"] for tutorial in catalog()["tutorials"]]
    assert len(slugs) >= MIN_TUTORIALS
    assert len(slugs) == len(set(slugs))


@pytest.mark.parametrize("tutorial", load_json(CATALOG_PATH)["tutorials"], ids=lambda tutorial: tutorial["slug"])
def test_tutorial_fields(tutorial: dict[str, Any]) -> None:
    expected_keys = {
        "slug",
        "title",
        "description",
        "youtube_url",
        "duration_seconds",
        "difficulty",
        "warning_lights",
        "engine_sounds",
    }
    assert set(tutorial) == expected_keys
    assert SLUG_RE.match(tutorial["slug"]), tutorial["slug"]
    assert isinstance(tutorial["title"], str)
    assert tutorial["title"].strip()
    assert is_full_sentence_text(tutorial["description"])
    assert 2 <= sentence_count(tutorial["description"]) <= 3, tutorial["description"]
    assert type(tutorial["duration_seconds"]) is int
    assert 60 <= tutorial["duration_seconds"] <= 3600
    assert tutorial["difficulty"] in DIFFICULTIES

    url = tutorial["youtube_url"]
    assert url.startswith(YOUTUBE_SEARCH_PREFIX), url
    query = url[len(YOUTUBE_SEARCH_PREFIX) :]
    assert query and re.fullmatch(r"[A-Za-z0-9+%._~-]+", query), url
    assert unquote_plus(query).strip(), url

    lights, sounds = tutorial["warning_lights"], tutorial["engine_sounds"]
    assert isinstance(lights, list)
    assert isinstance(sounds, list)
    assert lights or sounds, "a tutorial must explain at least one light or sound"
    assert len(lights) == len(set(lights))
    assert len(sounds) == len(set(sounds))
    assert set(lights) <= LIGHT_CODES, set(lights) - LIGHT_CODES
    assert set(sounds) <= SOUND_CODES, set(sounds) - SOUND_CODES


def test_tutorials_cover_core_lights_and_recorded_sounds() -> None:
    covered_lights = {code for tutorial in catalog()["tutorials"] for code in tutorial["warning_lights"]}
    covered_sounds = {code for tutorial in catalog()["tutorials"] for code in tutorial["engine_sounds"]}
    assert not set(CORE_LIGHT_CODES) - covered_lights
    assert not set(RECORDED_SOUND_CODES) - covered_sounds


# --------------------------------------------------------------------------- demo mechanics


def test_directory_is_marked_as_demo_data() -> None:
    data = directory()
    assert "DEMO DATA" in data["_comment"]
    assert "fictional" in data["_comment"].lower()
    assert data["city"] == "Yaoundé"


def test_enough_mechanics_with_unique_names_emails_and_phones() -> None:
    mechanics = directory()["mechanics"]
    assert len(mechanics) >= MIN_MECHANICS
    for key in ("business_name", "email", "phone"):
        values = [mechanic[key] for mechanic in mechanics]
        assert len(values) == len(set(values)), f"duplicate {key}"


def test_mechanics_spread_over_many_neighbourhoods() -> None:
    neighbourhoods = {mechanic["address"].rsplit(",", 2)[-2].strip() for mechanic in directory()["mechanics"]}
    assert len(neighbourhoods) >= 18


def test_working_hours_vary() -> None:
    mechanics = directory()["mechanics"]
    open_sunday = [m for m in mechanics if m["working_hours"]["sun"]]
    open_late = [
        m
        for m in mechanics
        if any(to_minutes(close) >= 20 * 60 for day in DAYS for _, close in m["working_hours"][day])
    ]
    assert 1 <= len(open_sunday) < len(mechanics)
    assert open_late


@pytest.mark.parametrize(
    "mechanic", load_json(MECHANICS_PATH)["mechanics"], ids=lambda mechanic: mechanic["business_name"]
)
def test_mechanic_fields(mechanic: dict[str, Any]) -> None:
    expected_keys = {
        "business_name",
        "phone",
        "email",
        "website",
        "address",
        "latitude",
        "longitude",
        "certification",
        "verified",
        "working_hours",
        "services",
    }
    assert set(mechanic) == expected_keys
    assert isinstance(mechanic["business_name"], str)
    assert mechanic["business_name"].strip()
    assert CM_PHONE_RE.match(mechanic["phone"]), mechanic["phone"]
    assert re.fullmatch(r"[a-z0-9._-]+@example\.com", mechanic["email"]), mechanic["email"]
    assert isinstance(mechanic["website"], str)
    assert mechanic["website"] == "" or ".example" in mechanic["website"]
    assert mechanic["address"].endswith(", Yaoundé"), mechanic["address"]
    assert isinstance(mechanic["certification"], str)
    assert isinstance(mechanic["verified"], bool)

    lat, lon = mechanic["latitude"], mechanic["longitude"]
    assert isinstance(lat, float)
    assert isinstance(lon, float)
    assert haversine_km(CITY_CENTRE[0], CITY_CENTRE[1], lat, lon) <= MAX_DISTANCE_KM


@pytest.mark.parametrize(
    "mechanic", load_json(MECHANICS_PATH)["mechanics"], ids=lambda mechanic: mechanic["business_name"]
)
def test_mechanic_working_hours(mechanic: dict[str, Any]) -> None:
    hours = mechanic["working_hours"]
    assert tuple(hours) == DAYS
    assert any(hours[day] for day in DAYS), "a garage must open at least one day"
    for day in DAYS:
        previous_close = -1
        for pair in hours[day]:
            assert isinstance(pair, list) and len(pair) == 2, (day, pair)
            opening, closing = pair
            assert TIME_RE.match(opening) and TIME_RE.match(closing), (day, pair)
            assert to_minutes(opening) < to_minutes(closing), (day, pair)
            assert to_minutes(opening) > previous_close, f"{day}: overlapping or unsorted periods"
            previous_close = to_minutes(closing)


@pytest.mark.parametrize(
    "mechanic", load_json(MECHANICS_PATH)["mechanics"], ids=lambda mechanic: mechanic["business_name"]
)
def test_mechanic_services(mechanic: dict[str, Any]) -> None:
    known = {service["name"]: service for service in catalog()["services"]}
    offered = mechanic["services"]
    assert 3 <= len(offered) <= 10
    names = [entry["name"] for entry in offered]
    assert len(names) == len(set(names)), "duplicate service"
    for entry in offered:
        assert set(entry) == {"name", "price"}
        assert entry["name"] in known, entry["name"]
        price = to_decimal(entry["price"])
        low = to_decimal(known[entry["name"]]["cost_min"]) * (1 - PRICE_TOLERANCE)
        high = to_decimal(known[entry["name"]]["cost_max"]) * (1 + PRICE_TOLERANCE)
        assert low <= price <= high, (entry["name"], entry["price"])


def test_every_catalog_service_is_offered_somewhere() -> None:
    offered = {entry["name"] for mechanic in directory()["mechanics"] for entry in mechanic["services"]}
    assert service_names() <= offered, service_names() - offered
