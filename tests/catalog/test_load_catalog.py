"""``manage.py load_catalog [--demo]``: loads the curated files, and a second run changes nothing."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from catalog.models import EngineSound, WarningLight
from catalog.services import CATALOG_FILE, DEMO_DIRECTORY_FILE, catalog_load, read_seed
from catalog.symbols import render_icon_png
from directory.models import Mechanic, MechanicService, Service
from tutorials.models import Tutorial, TutorialEngineSound, TutorialWarningLight

pytestmark = pytest.mark.django_db

SEED = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
DEMO = json.loads(DEMO_DIRECTORY_FILE.read_text(encoding="utf-8"))
MODELS: list[type[models.Model]] = [WarningLight, EngineSound, Service, Tutorial, Mechanic]


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_catalog", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    """Every row the loader writes, with its updated_at, plus the link tables."""
    state: dict[str, Any] = {model.__name__: dict(model.objects.values_list("pk", "updated_at")) for model in MODELS}
    state["links"] = sorted(TutorialWarningLight.objects.values_list("tutorial_id", "warning_light_id")) + sorted(
        TutorialEngineSound.objects.values_list("tutorial_id", "engine_sound_id")
    )
    state["offerings"] = sorted(MechanicService.objects.values_list("pk", "service_id", "price"))
    state["icons"] = dict(WarningLight.objects.values_list("code", "icon"))
    return state


def test_it_loads_every_entry_of_the_files(media_root: Path) -> None:
    load("--demo")
    assert WarningLight.objects.count() == len(SEED["warning_lights"])
    assert EngineSound.objects.count() == len(SEED["engine_sounds"])
    assert Service.objects.count() == len(SEED["services"])
    assert Tutorial.objects.count() == len(SEED["tutorials"])
    assert Mechanic.objects.filter(is_demo=True).count() == len(DEMO["mechanics"])

    oil = WarningLight.objects.get(code="oil_pressure")
    expected = next(row for row in SEED["warning_lights"] if row["code"] == "oil_pressure")
    assert (oil.name, oil.severity, oil.colour) == (expected["name"], "critical", "red")
    assert oil.common_causes == expected["common_causes"]

    tutorial_row = SEED["tutorials"][0]
    tutorial = Tutorial.objects.get(slug=tutorial_row["slug"])
    assert sorted(tutorial.warning_lights.values_list("code", flat=True)) == sorted(tutorial_row["warning_lights"])

    garage_row = DEMO["mechanics"][0]
    garage = Mechanic.objects.get(business_name=garage_row["business_name"])
    assert garage.is_demo
    assert garage.working_hours == garage_row["working_hours"]
    prices = {o.service.name: o.price for o in garage.offerings.select_related("service")}
    assert prices == {row["name"]: Decimal(row["price"]) for row in garage_row["services"]}


def test_without_demo_it_loads_no_mechanics(media_root: Path) -> None:
    load()
    assert not Mechanic.objects.exists()
    assert Service.objects.count() == len(SEED["services"])


def test_a_second_run_changes_nothing(media_root: Path) -> None:
    load("--demo")
    before = snapshot()
    icon_files = {p: p.stat().st_mtime_ns for p in (media_root / "catalog" / "icons").iterdir()}

    output = load("--demo")

    assert snapshot() == before
    assert {p: p.stat().st_mtime_ns for p in (media_root / "catalog" / "icons").iterdir()} == icon_files
    assert "0 created, 0 updated" in output
    assert "icons written: 0" in output
    assert "already up to date" in output


def test_a_second_run_writes_no_sql_updates(media_root: Path) -> None:
    load("--demo")
    with CaptureQueriesContext(connection) as captured:
        load("--demo")
    statements = [query["sql"].lstrip().upper() for query in captured.captured_queries]
    writes = [sql for sql in statements if sql.startswith(("UPDATE", "INSERT", "DELETE"))]
    assert writes == []


def test_it_puts_back_what_differs_from_the_file_and_only_that(media_root: Path) -> None:
    load("--demo")
    oil = WarningLight.objects.get(code="oil_pressure")
    WarningLight.objects.filter(pk=oil.pk).update(description="Edited.")
    untouched = WarningLight.objects.get(code="abs").updated_at

    output = load("--demo")

    oil.refresh_from_db()
    assert oil.description.startswith("The engine is not getting enough oil pressure")
    assert WarningLight.objects.get(code="abs").updated_at == untouched
    assert "warning lights: 0 created, 1 updated, 38 unchanged" in output


def test_tutorial_links_are_made_to_match_the_file(media_root: Path) -> None:
    load()
    row = next(r for r in SEED["tutorials"] if r["slug"] == "what-the-oil-pressure-light-means")
    tutorial = Tutorial.objects.get(slug=row["slug"])
    TutorialWarningLight.objects.filter(tutorial=tutorial).delete()
    TutorialWarningLight.objects.create(tutorial=tutorial, warning_light=WarningLight.objects.get(code="abs"))

    load()

    assert sorted(tutorial.warning_lights.values_list("code", flat=True)) == sorted(row["warning_lights"])


def test_a_video_chosen_by_staff_survives_a_reload(media_root: Path) -> None:
    load()
    tutorial = Tutorial.objects.get(slug=SEED["tutorials"][0]["slug"])
    tutorial.youtube_url = "https://www.youtube.com/watch?v=abcdefghijk"
    tutorial.save()

    load()

    tutorial.refresh_from_db()
    assert tutorial.youtube_url == "https://www.youtube.com/watch?v=abcdefghijk"


def test_demo_offerings_are_made_to_match_the_file(media_root: Path) -> None:
    load("--demo")
    row = DEMO["mechanics"][0]
    garage = Mechanic.objects.get(business_name=row["business_name"])
    first = garage.offerings.select_related("service").get(service__name=row["services"][0]["name"])
    first.price = 1
    first.save()
    extra = Service.objects.exclude(name__in=[s["name"] for s in row["services"]]).first()
    MechanicService.objects.create(mechanic=garage, service=extra, price=5)

    load("--demo")

    offered = {o.service.name: o.price for o in garage.offerings.select_related("service")}
    assert offered == {s["name"]: Decimal(s["price"]) for s in row["services"]}


def test_a_real_listing_with_a_demo_name_is_left_alone(media_root: Path) -> None:
    name = DEMO["mechanics"][0]["business_name"]
    real = Mechanic.objects.create(business_name=name, address="Real street", latitude=1.0, longitude=2.0)

    load("--demo")

    real.refresh_from_db()
    assert (real.address, real.is_demo) == ("Real street", False)
    assert Mechanic.objects.filter(business_name=name, is_demo=True).count() == 1


def test_each_light_gets_its_drawn_icon(media_root: Path) -> None:
    load()
    light = WarningLight.objects.get(code="battery")
    assert light.icon.name == "catalog/icons/battery.png"
    assert (media_root / "catalog" / "icons" / "battery.png").read_bytes() == render_icon_png("battery")


def test_a_missing_or_different_icon_is_drawn_again(media_root: Path) -> None:
    load()
    (media_root / "catalog" / "icons" / "abs.png").write_bytes(b"not the drawing")
    (media_root / "catalog" / "icons" / "brake.png").unlink()

    output = load()

    assert "icons written: 2" in output
    assert (media_root / "catalog" / "icons" / "abs.png").read_bytes() == render_icon_png("abs")
    assert (media_root / "catalog" / "icons" / "brake.png").read_bytes() == render_icon_png("brake")
    # Redrawn in place: no "abs_x1y2z3.png" beside the old file.
    assert sorted(p.name for p in (media_root / "catalog" / "icons").iterdir() if p.name.startswith("abs")) == [
        "abs.png"
    ]


def test_a_bad_file_loads_nothing(media_root: Path) -> None:
    catalog = read_seed(CATALOG_FILE)
    catalog["tutorials"][-1]["warning_lights"] = ["no_such_light"]

    with pytest.raises(ValidationError, match="no_such_light"):
        catalog_load(catalog=catalog, demo_directory=read_seed(DEMO_DIRECTORY_FILE))

    assert not WarningLight.objects.exists()
    assert not Tutorial.objects.exists()
