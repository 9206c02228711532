from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

# DRF answers a bad page number or cursor with 404, as if the list did not exist; it is bad input (a 400).


class PageNumberPagination(pagination.PageNumberPagination):
    """Catalog-style lists: numbered pages the client may size, within a cap."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from exc


class CappedPaginator(Paginator):
    """A Django paginator over the first ``cap`` rows at most: it counts no further than that."""

    cap = 1000

    @cached_property
    def count(self) -> int:
        # Counting stops at the cap (LIMIT in a subquery), and the order does not change how many there are.
        # Only the key is selected: the page's annotations (the open-now flag's CASE over the opening hours,
        # say) would otherwise be computed for every row counted, though a count never reads them.
        return int(self.object_list.order_by().values("pk")[: self.cap].count())


class NewestFirstCursorPagination(pagination.CursorPagination):
    """History-like lists: stable under inserts, so an offline client can page back without gaps."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")

    def decode_cursor(self, request: Any) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc
