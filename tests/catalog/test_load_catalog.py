"""``manage.py seed [--demo]``: loads the curated files, a second run changes nothing, and edits survive."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

import catalog.services
import directory.services
from accounts.models import User
from cardoc.models import SeededRow
from catalog.models import EngineSound, WarningLight
from catalog.services import CATALOG_FILE
from catalog.symbols import render_icon_png
from directory.models import Mechanic, MechanicService, Service
from directory.services import DEMO_DIRECTORY_FILE, mechanic_listing_update, mechanic_set_owners
from tutorials.models import Tutorial, TutorialEngineSound, TutorialWarningLight

pytestmark = pytest.mark.django_db

SEED = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
DEMO = json.loads(DEMO_DIRECTORY_FILE.read_text(encoding="utf-8"))
MODELS: list[type[models.Model]] = [WarningLight, EngineSound, Service, Tutorial, Mechanic]


def load(*args: str, command: str = "seed") -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def use_catalog_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: dict[str, Any]) -> None:
    """Seed from ``content`` instead of the shipped file, as a later release of the file would."""
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    monkeypatch.setattr(catalog.services, "CATALOG_FILE", path)


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
    assert "light icons: 0 created, 0 updated" in output
    assert "Content already up to date" in output


def test_load_catalog_is_still_the_same_command(media_root: Path) -> None:
    output = load("--demo", command="load_catalog")

    assert f"warning lights: {len(SEED['warning_lights'])} created" in output
    assert Mechanic.objects.filter(is_demo=True).count() == len(DEMO["mechanics"])
    assert "Content already up to date" in load("--demo", command="load_catalog")


def test_a_second_run_writes_no_sql_updates(media_root: Path) -> None:
    load("--demo")
    with CaptureQueriesContext(connection) as captured:
        load("--demo")
    statements = [query["sql"].lstrip().upper() for query in captured.captured_queries]
    writes = [sql for sql in statements if sql.startswith(("UPDATE", "INSERT", "DELETE"))]
    assert writes == []


def test_a_row_staff_edited_is_kept_and_only_that(media_root: Path) -> None:
    load("--demo")
    oil = WarningLight.objects.get(code="oil_pressure")
    oil.description = "Edited by staff."
    oil.save()
    untouched = WarningLight.objects.get(code="abs").updated_at

    output = load("--demo")

    oil.refresh_from_db()
    assert oil.description == "Edited by staff."
    assert WarningLight.objects.get(code="abs").updated_at == untouched
    assert "warning lights: 0 created, 0 updated, 38 unchanged, 1 kept as edited" in output


def test_a_new_release_of_the_file_updates_rows_nobody_edited(
    media_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    load()
    WarningLight.objects.filter(code="abs").update(description="Edited by staff.")
    content = read_seed_file()
    for row in content["warning_lights"]:
        if row["code"] in {"oil_pressure", "abs"}:
            row["description"] = "A clearer explanation from the new release."
    use_catalog_file(monkeypatch, tmp_path, content)

    output = load()

    assert WarningLight.objects.get(code="oil_pressure").description == "A clearer explanation from the new release."
    assert WarningLight.objects.get(code="abs").description == "Edited by staff."
    assert "warning lights: 0 created, 1 updated, 37 unchanged, 1 kept as edited" in output


def test_a_row_staff_deleted_is_created_again(media_root: Path) -> None:
    load()
    WarningLight.objects.filter(code="abs").delete()

    output = load()

    assert WarningLight.objects.filter(code="abs").exists()
    assert "warning lights: 1 created, 0 updated, 38 unchanged" in output


def test_rows_seeded_before_the_ledger_are_adopted_only_when_they_match(media_root: Path) -> None:
    load()
    SeededRow.objects.all().delete()  # as a database seeded by an older release, which kept no digests
    WarningLight.objects.filter(code="abs").update(description="Edited before the upgrade.")

    output = load()

    assert WarningLight.objects.get(code="abs").description == "Edited before the upgrade."
    assert "warning lights: 0 created, 0 updated, 38 unchanged, 1 kept as edited" in output
    assert SeededRow.objects.filter(kind="catalog.warninglight").count() == 38


def test_tutorial_links_staff_changed_are_kept(media_root: Path) -> None:
    load()
    row = next(r for r in SEED["tutorials"] if r["slug"] == "what-the-oil-pressure-light-means")
    tutorial = Tutorial.objects.get(slug=row["slug"])
    TutorialWarningLight.objects.filter(tutorial=tutorial).delete()
    TutorialWarningLight.objects.create(tutorial=tutorial, warning_light=WarningLight.objects.get(code="abs"))

    output = load()

    assert list(tutorial.warning_lights.values_list("code", flat=True)) == ["abs"]
    assert "1 kept as edited" in output.split("tutorials: ")[1].splitlines()[0]


def test_tutorial_links_nobody_changed_follow_the_file(
    media_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    load()
    content = read_seed_file()
    row = next(r for r in content["tutorials"] if r["slug"] == "what-the-oil-pressure-light-means")
    row["warning_lights"] = [*row["warning_lights"], "abs"]
    use_catalog_file(monkeypatch, tmp_path, content)

    output = load()

    tutorial = Tutorial.objects.get(slug=row["slug"])
    assert sorted(tutorial.warning_lights.values_list("code", flat=True)) == sorted(row["warning_lights"])
    assert "tutorials: 0 created, 0 updated" in output
    assert "1 relinked" in output


def test_a_video_chosen_by_staff_survives_a_reload(media_root: Path) -> None:
    load()
    tutorial = Tutorial.objects.get(slug=SEED["tutorials"][0]["slug"])
    tutorial.youtube_url = "https://www.youtube.com/watch?v=abcdefghijk"
    tutorial.save()

    load()

    tutorial.refresh_from_db()
    assert tutorial.youtube_url == "https://www.youtube.com/watch?v=abcdefghijk"


def test_a_mechanics_edit_of_a_demo_listing_survives_a_restart(media_root: Path, mechanic: User) -> None:
    load("--demo")
    row = DEMO["mechanics"][0]
    garage = Mechanic.objects.get(business_name=row["business_name"])
    mechanic_set_owners(mechanic=garage, owners=[mechanic])
    services = {o.service: o.price for o in garage.offerings.select_related("service")}
    first = next(service for service in services if service.name == row["services"][0]["name"])
    hours = {day: [["07:30", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    mechanic_listing_update(
        mechanic=garage,
        user=mechanic,
        details={"phone": "+237 699 99 99 99"},
        working_hours=hours,
        offerings={**services, first: Decimal("1000")},
    )

    output = load("--demo")

    garage.refresh_from_db()
    assert garage.phone == "+237 699 99 99 99"
    assert garage.working_hours["mon"] == [["07:30", "19:00"]]
    assert garage.offerings.get(service=first).price == Decimal("1000")
    assert "demo mechanics: 0 created, 0 updated" in output
    assert "2 kept as edited" in output  # the listing and its prices


def test_demo_offerings_nobody_edited_follow_the_file(
    media_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    load("--demo")
    demo = json.loads(DEMO_DIRECTORY_FILE.read_text(encoding="utf-8"))
    row = demo["mechanics"][0]
    row["services"][0]["price"] = "99000"
    del row["services"][-1]
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(demo), encoding="utf-8")
    monkeypatch.setattr(directory.services, "DEMO_DIRECTORY_FILE", path)

    output = load("--demo")

    garage = Mechanic.objects.get(business_name=row["business_name"])
    offered = {o.service.name: o.price for o in garage.offerings.select_related("service")}
    assert offered == {s["name"]: Decimal(s["price"]) for s in row["services"]}
    assert "demo mechanics: 0 created, 0 updated" in output
    assert "1 relinked" in output


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

    assert "light icons: 1 created, 1 updated" in output
    assert (media_root / "catalog" / "icons" / "abs.png").read_bytes() == render_icon_png("abs")
    assert (media_root / "catalog" / "icons" / "brake.png").read_bytes() == render_icon_png("brake")
    # Redrawn in place: no "abs_x1y2z3.png" beside the old file.
    assert sorted(p.name for p in (media_root / "catalog" / "icons").iterdir() if p.name.startswith("abs")) == [
        "abs.png"
    ]


def test_an_icon_staff_uploaded_is_kept(media_root: Path) -> None:
    load()
    light = WarningLight.objects.get(code="abs")
    light.icon.save("abs-photo.png", ContentFile(b"a photo staff chose"), save=True)

    output = load()

    light.refresh_from_db()
    assert light.icon.name.startswith("catalog/icons/abs-photo")
    assert "light icons: 0 created, 0 updated, 38 unchanged, 1 kept as edited" in output


def test_a_bad_file_loads_nothing(media_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    content = read_seed_file()
    content["tutorials"][-1]["warning_lights"] = ["no_such_light"]
    use_catalog_file(monkeypatch, tmp_path, content)

    with pytest.raises(ValidationError, match="no_such_light"):
        load("--demo")

    assert not WarningLight.objects.exists()
    assert not Tutorial.objects.exists()
    assert not SeededRow.objects.exists()


def read_seed_file() -> dict[str, Any]:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
