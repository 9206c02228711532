"""Full-text search over warning lights and engine sounds, ranked by relevance, on PostgreSQL and SQLite.

Both catalog tables are searched over the same four columns, weighted from most to least telling:
``name`` (A), ``description`` (B), ``common_causes`` (C) and ``repair_suggestions`` (D).

- PostgreSQL: an expression GIN index over a weighted ``tsvector`` (migration ``catalog.0002``); the query
  repeats that exact expression so the planner can use the index, and ranks with ``ts_rank``.
- SQLite: an external-content FTS5 table per catalog table, kept in step by triggers (same migration), with
  the Porter stemmer; ranked with ``bm25`` using the same column weights.

A search first asks for documents holding every word, in any order. When no document holds them all (a
driver typed a word the catalog does not use), it falls back to documents holding any of the words, still
ranked, so that documents matching more of the words come first.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections, models
from django.db.models.expressions import RawSQL

# Any queryset of a searchable model; the search keeps its class (WarningLightQuerySet stays one).
QS = TypeVar("QS", bound=models.QuerySet[Any])

MAX_TERMS = 12
RANK_ALIAS = "search_rank"

# Keep in step with catalog/migrations/0002_full_text_search.py: PostgreSQL only uses the GIN index when the
# query's expression is the one the index was built on.
_PG_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, {t}.\"name\"), 'A') || "
    "setweight(to_tsvector('english'::regconfig, {t}.\"description\"), 'B') || "
    "setweight(to_tsvector('english'::regconfig, {t}.\"common_causes\"), 'C') || "
    "setweight(to_tsvector('english'::regconfig, {t}.\"repair_suggestions\"), 'D')"
)
# bm25 weights per FTS5 column, in the column order name, description, causes, suggestions. bm25 is
# "lower is better", so it is negated to read like ts_rank.
_SQLITE_RANK = (
    'SELECT -bm25("{fts}", 10.0, 4.0, 2.0, 1.0) FROM "{fts}" WHERE "{fts}" MATCH %s AND "{fts}".rowid = "{t}".rowid'
)
_WORD_RE = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[str]:
    """The words of a query, lower-cased, de-duplicated, without punctuation or query syntax."""
    words = dict.fromkeys(word.lower() for word in _WORD_RE.findall(text))
    return list(words)[:MAX_TERMS]


def fts_table(model: type[models.Model]) -> str:
    return f"{model._meta.db_table}_fts"


def ranked_search(queryset: QS, text: str) -> QS:
    """``queryset`` narrowed to the documents matching ``text``, best first, annotated with ``search_rank``."""
    words = search_terms(text)
    if not words:
        return queryset.none()
    every_word = _matching(queryset, words, any_word=False)
    if every_word.exists():
        return every_word
    return _matching(queryset, words, any_word=True)


def _matching(queryset: QS, words: list[str], *, any_word: bool) -> QS:
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        return _postgresql(queryset, words, any_word=any_word)
    if vendor == "sqlite":
        return _sqlite(queryset, words, any_word=any_word)
    raise NotImplementedError(f"Full-text search is not set up for {vendor}.")


def _postgresql(queryset: QS, words: list[str], *, any_word: bool) -> QS:
    table = connections[queryset.db].ops.quote_name(queryset.model._meta.db_table)
    # The SQL is our constant plus a quoted table name; the user's words only ever travel as parameters.
    document = RawSQL(_PG_DOCUMENT.format(t=table), [], output_field=SearchVectorField())  # noqa: S611
    if any_word:
        query = reduce(or_, (SearchQuery(word, config="english") for word in words))
    else:
        query = SearchQuery(" ".join(words), config="english")
    return (
        queryset.alias(search_document=document)
        .filter(search_document=query)
        .annotate(**{RANK_ALIAS: SearchRank(document, query)})
        .order_by(f"-{RANK_ALIAS}", "code")
    )


def _sqlite(queryset: QS, words: list[str], *, any_word: bool) -> QS:
    # Each word becomes a quoted FTS5 string, so nothing the user types is read as query syntax.
    quoted = [f'"{word}"' for word in words]
    match = (" OR " if any_word else " ").join(quoted)
    sql = _SQLITE_RANK.format(fts=fts_table(queryset.model), t=queryset.model._meta.db_table)
    rank = RawSQL(sql, [match], output_field=models.FloatField())  # noqa: S611 (the words are a parameter)
    return (
        queryset.annotate(**{RANK_ALIAS: rank})
        .filter(**{f"{RANK_ALIAS}__isnull": False})
        .order_by(f"-{RANK_ALIAS}", "code")
    )
