"""Builders for directory rows used across the directory tests."""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser

from model_bakery import baker

from accounts.models import User
from directory.models import Mechanic
from directory.services import mechanic_set_owners

WEEKDAY_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def make_listing(name: str, *, owners: Sequence[User] = (), **fields: object) -> Mechanic:
    """A listing near Yaoundé's centre, open on weekdays; ``owners`` get the edit permission like in the admin."""
    fields = {
        "address": "Rue 1, Bastos, Yaoundé",
        "latitude": 3.8895,
        "longitude": 11.5105,
        "working_hours": WEEKDAY_HOURS,
        "phone": "+237 677 00 00 01",
        **fields,
    }
    mechanic = baker.make(Mechanic, business_name=name, **fields)
    if owners:
        mechanic_set_owners(mechanic=mechanic, owners=owners)
    return mechanic


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the page's main POST form (not the log-out button)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form" and attr.get("method", "").lower() == "post" and not self._done:
            self._in_form = "logout" not in attr.get("action", "")
        if not self._in_form:
            return
        if tag == "option" and self._select and "selected" in attr:
            self.data[self._select] = attr.get("value", "")
        elif tag == "select":
            self._select = attr["name"]
            self.data.setdefault(self._select, "")
        elif tag == "textarea":
            self._textarea = attr["name"]
            self.data[self._textarea] = ""
        elif tag == "input" and "name" in attr:
            kind = attr.get("type", "text")
            if kind == "checkbox":
                if "checked" in attr:
                    self.data[attr["name"]] = attr.get("value") or "on"
            elif kind not in {"submit", "button"}:
                self.data[attr["name"]] = attr.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_data(html: str) -> dict[str, str]:
    """The fields of the page's main POST form with their rendered values (selected options included)."""
    reader = _FormReader()
    reader.feed(html)
    return reader.data
