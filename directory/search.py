"""Full-text search over the listings: business name (most telling), service names, then address.

Like the catalog's search (catalog/search.py), on PostgreSQL and SQLite:
- PostgreSQL: an expression GIN index over a weighted ``tsvector`` (migration ``directory.0004``), with the
  ``simple`` configuration, since names and addresses are proper nouns in French and English alike.
- SQLite: an external-content FTS5 table kept in step by triggers (same migration), ranked with ``bm25``.

Every word must match, as a prefix ("vidan" finds "Vidange"); service names come from ``services_text``,
which the services that change a listing's offerings keep up to date.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connections, models
from django.db.models.expressions import RawSQL

from catalog.search import search_terms

RANK_ALIAS = "search_rank"
# Keep in step with directory/migrations/0004_mechanic_full_text_search.py (the GIN index's expression).
_PG_DOCUMENT = (
    "setweight(to_tsvector('simple'::regconfig, {t}.\"business_name\"), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, {t}.\"services_text\"), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, {t}.\"address\"), 'C')"
)


def search_listings(queryset: models.QuerySet, text: str) -> models.QuerySet:
    """``queryset`` narrowed to listings holding every word of ``text``, annotated with ``search_rank``."""
    words = search_terms(text)
    if not words:
        return queryset.none()
    vendor = connections[queryset.db].vendor
    table = queryset.model._meta.db_table
    if vendor == "postgresql":
        quoted = connections[queryset.db].ops.quote_name(table)
        # Our constant plus a quoted table name; the user's words only ever travel as parameters.
        document = RawSQL(_PG_DOCUMENT.format(t=quoted), [], output_field=SearchVectorField())  # noqa: S611
        # search_terms keeps letters and digits only, so no word can carry tsquery operators.
        prefixes = " & ".join(f"{word}:*" for word in words if word.isalnum())
        query = SearchQuery(prefixes, search_type="raw", config="simple")
        return (
            queryset.alias(search_document=document)
            .filter(search_document=query)
            .annotate(**{RANK_ALIAS: SearchRank(document, query)})
        )
    if vendor == "sqlite":
        # Each word is a quoted FTS5 prefix string, so nothing the user types is read as query syntax.
        match = " ".join(f'"{word}"*' for word in words)
        fts = f"{table}_fts"
        # One join with the index, so that bm25 is read from the single MATCH; a correlated subquery per
        # row would repeat the MATCH for every matching listing (about 1 s for 1,000 matches). extra() is
        # the one way to join a table Django has no model for; the table names are ours, the words a parameter.
        return queryset.extra(  # noqa: S610
            tables=[fts],
            where=[f'"{fts}"."rowid" = "{table}"."rowid"', f'"{fts}" MATCH %s'],
            params=[match],
            select={RANK_ALIAS: f'-bm25("{fts}", 10.0, 2.0, 4.0)'},
        )
    raise NotImplementedError(f"Full-text search is not set up for {vendor}.")
