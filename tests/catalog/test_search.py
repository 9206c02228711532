"""Full-text search over the curated catalog, on whichever database the suite runs (PostgreSQL or SQLite)."""

from __future__ import annotations

import pytest
from django.db import connection
from model_bakery import baker

from catalog.models import EngineSound, WarningLight
from catalog.search import fts_table, search_terms

pytestmark = pytest.mark.django_db


def codes(queryset: object) -> list[str]:
    return [entry.code for entry in queryset]


def test_oil_light_engine_finds_the_oil_pressure_light_first(seeded: None) -> None:
    assert codes(WarningLight.objects.search("oil light engine"))[0] == "oil_pressure"


def test_word_order_and_case_do_not_matter(seeded: None) -> None:
    assert codes(WarningLight.objects.search("ENGINE light OIL"))[0] == "oil_pressure"


def test_words_are_stemmed(seeded: None) -> None:
    # "braking" and "grinds" are not in the text as such; their stems are.
    assert "brake_grinding" in codes(EngineSound.objects.search("braking grinds"))


def test_a_word_in_the_name_outranks_the_same_word_in_the_suggestions(db: None) -> None:
    baker.make(
        WarningLight,
        code="in_suggestions",
        name="Lamp A",
        description="Something else entirely.",
        repair_suggestions=["Check the alternator belt."],
        severity="moderate",
        colour="amber",
    )
    baker.make(
        WarningLight,
        code="in_name",
        name="Alternator lamp",
        description="Something else entirely.",
        severity="moderate",
        colour="amber",
    )
    assert codes(WarningLight.objects.search("alternator")) == ["in_name", "in_suggestions"]


def test_causes_are_searched_too(db: None) -> None:
    baker.make(
        WarningLight,
        code="cause_only",
        name="Lamp",
        description="Nothing to see.",
        common_causes=["A corroded earth strap"],
        severity="moderate",
        colour="amber",
    )
    assert codes(WarningLight.objects.search("corroded strap")) == ["cause_only"]


def test_when_no_entry_has_every_word_it_falls_back_to_any_word_ranked(seeded: None) -> None:
    # No light mentions "zebra"; the oil pressure light still comes first for the words that do match.
    found = codes(WarningLight.objects.search("zebra oil pressure"))
    assert found[0] == "oil_pressure"
    assert len(found) > 1


def test_nothing_matches_gibberish(seeded: None) -> None:
    assert codes(WarningLight.objects.search("qwxzv")) == []


def test_query_syntax_is_treated_as_plain_words(seeded: None) -> None:
    # FTS5 and tsquery operators must not break the query or change its meaning.
    assert codes(WarningLight.objects.search('oil" OR NEAR(* -light) & !engine |'))[0] == "oil_pressure"


def test_search_terms_strip_punctuation_and_repeats() -> None:
    assert search_terms("Oil, oil; LIGHT!! _engine_") == ["oil", "light", "engine"]


def test_changes_made_outside_the_loader_are_searchable_at_once(db: None) -> None:
    light = baker.make(
        WarningLight, code="x", name="Plain lamp", description="Plain.", severity="moderate", colour="amber"
    )
    assert codes(WarningLight.objects.search("gearbox")) == []
    light.description = "The gearbox is too hot."
    light.save()
    assert codes(WarningLight.objects.search("gearbox")) == ["x"]
    light.delete()
    assert codes(WarningLight.objects.search("gearbox")) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 triggers exist only on SQLite")
@pytest.mark.parametrize("model", [WarningLight, EngineSound])
def test_sqlite_index_triggers_survive_every_migration(model: type, seeded: None) -> None:
    # A later migration that makes Django rebuild the table drops these triggers: it must re-create them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [model._meta.db_table]
        )
        triggers = {row[0] for row in cursor.fetchall()}
        assert triggers == {f"{fts_table(model)}_{suffix}" for suffix in ("ai", "ad", "au")}
        # With rank 1, FTS5 checks its index against the content table and raises if they differ.
        table = fts_table(model)
        cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")  # noqa: S608


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists only on PostgreSQL")
@pytest.mark.parametrize(
    ("model", "index"), [(WarningLight, "warninglight_search_idx"), (EngineSound, "enginesound_search_idx")]
)
def test_postgresql_search_uses_the_gin_index(model: type, index: str, seeded: None) -> None:
    queryset = model.objects.search("oil light engine")
    with connection.cursor() as cursor:
        # With so few rows a sequential scan is cheaper; forbid it to see whether the index can serve the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert index in plan
