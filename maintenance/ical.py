"""A small RFC 5545 writer: all-day events, TEXT escaping and 75-octet line folding.

Written by hand because a feed of all-day events needs only a few properties; a dependency would
bring a whole object model for what is a page of string handling.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

CRLF = "\r\n"
MAX_LINE_OCTETS = 75
# TEXT may hold no control characters except tab (RFC 5545 §3.3.11); line breaks are escaped first.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AllDayEvent:
    """One VEVENT that covers a whole day."""

    uid: str
    day: date
    summary: str
    description: str = ""
    last_modified: datetime | None = None


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return _CONTROL_CHARACTERS.sub("", value)


def fold(line: str) -> str:
    """Split a content line into physical lines of at most 75 octets, never inside a UTF-8 character.

    Each continuation line starts with one space, which counts towards its 75 octets.
    """
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, MAX_LINE_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: AllDayEvent, *, stamp: datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{_utc_stamp(stamp)}",
        f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
        # DTEND is exclusive, so a one-day event ends at the start of the next day.
        f"DTEND;VALUE=DATE:{event.day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc_stamp(event.last_modified)}")
    # A service appointment reminder should not mark the whole day as busy.
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines


def render_calendar(*, name: str, product_id: str, events: Iterable[AllDayEvent], stamp: datetime) -> str:
    """A whole VCALENDAR document, CRLF line endings, every line folded."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{product_id}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"NAME:{escape_text(name)}",
        # Hints for subscribing apps (RFC 7986 and the older Microsoft name) to poll hourly.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        try:
            lines += _event_lines(event, stamp=stamp)
        except (OverflowError, ValueError):
            # Total on purpose: one record the feed cannot express (a date at the edge of the calendar) is
            # left out and logged, and the driver's other events still reach their calendar.
            logger.warning("Calendar event %s left out of the feed: its date cannot be written", event.uid)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
