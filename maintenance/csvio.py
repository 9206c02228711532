"""CSV in and out of the garage: LubeLogger's export columns read in, our own tables written out.

LubeLogger (https://lubelogger.com) exports each record kind as its own CSV. We read the columns its
exporter writes: service and repair records ``Date, Description, Cost, Notes, Odometer, Tags`` and fuel
records ``Date, Odometer, FuelConsumed, Cost, FuelEconomy, IsFillToFull, MissedFuelUp, Notes, Tags``
(``extrafield_*`` columns are ignored). Its dates and numbers are written in the server's culture, so the
importer accepts ISO dates, and month/day/year or day/month/year as the caller says; a cost may carry a
currency symbol and thousands separators. Rows are numbered as a spreadsheet shows them: the header is
row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
KM_PER_MILE = Decimal("1.609344")
LITRES_PER = {"l": Decimal(1), "us_gal": Decimal("3.785411784"), "imp_gal": Decimal("4.54609")}


class ImportKind:
    SERVICE = "service"
    REPAIR = "repair"
    FUEL = "fuel"
    CHOICES = (SERVICE, REPAIR, FUEL)


class DateOrder:
    MDY = "mdy"
    DMY = "dmy"
    CHOICES = (MDY, DMY)


REQUIRED = {
    ImportKind.SERVICE: ("date", "description", "cost"),
    ImportKind.REPAIR: ("date", "description", "cost"),
    ImportKind.FUEL: ("date", "odometer", "fuelconsumed", "cost"),
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV, not UTF-8, missing columns, too many rows)."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    kind: str
    date_order: str = DateOrder.MDY
    distance_unit: str = "km"
    volume_unit: str = "l"


@dataclass(slots=True)
class ParsedRow:
    """One CSV record turned into our fields, or the problems that stop it."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def fingerprint(self, *, vehicle_id: object, kind: str) -> str:
        """The same record of the same car always gives the same key, so a re-import finds it."""
        canonical = "|".join(f"{name}={self.values[name]}" for name in sorted(self.values))
        return hashlib.sha256(f"{vehicle_id}|{kind}|{canonical}".encode()).hexdigest()


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_LOCAL = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_date(text: str, order: str) -> date:
    text = text.strip()
    try:
        if match := _ISO.match(text):
            year, month, day = (int(part) for part in match.groups())
        elif match := _LOCAL.match(text):
            first, second, year = (int(part) for part in match.groups())
            month, day = (first, second) if order == DateOrder.MDY else (second, first)
        else:
            raise ValueError
        return date(year, month, day)
    except ValueError:
        expected = "MM/DD/YYYY" if order == DateOrder.MDY else "DD/MM/YYYY"
        raise ValueError(f"“{text}” is not a date: use YYYY-MM-DD or {expected} (see date_order).") from None


def parse_number(text: str) -> Decimal:
    # "$1,234.56", "1 234.56 XAF": keep the digits, the point and a minus sign; commas are thousands.
    cleaned = re.sub(r"[^\d.\-]", "", text.replace(",", ""))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"“{text}” is not a number.") from None
    if not value.is_finite():
        raise ValueError(f"“{text}” is not a number.")
    return value


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "1", "y"):
        return True
    if value in ("false", "no", "0", "n", ""):
        return False
    raise ValueError(f"“{text}” is not true or false.")


def read_rows(content: bytes, options: ImportOptions) -> Iterator[ParsedRow]:
    """Parse every record of a LubeLogger CSV export of ``options.kind``; raises ImportFileError for the file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError("The file is not UTF-8 text; export it again as CSV.") from exc
    reader = csv.DictReader(io.StringIO(text))
    headers = {name.strip().lower(): name for name in reader.fieldnames or []}
    missing = [name for name in REQUIRED[options.kind] if name not in headers]
    if missing:
        found = ", ".join(reader.fieldnames or []) or "none"
        raise ImportFileError(
            f"A LubeLogger {options.kind} export needs the columns {', '.join(REQUIRED[options.kind])}; "
            f"missing: {', '.join(missing)} (found: {found})."
        )
    for index, raw in enumerate(reader):
        if index >= MAX_IMPORT_ROWS:
            raise ImportFileError(f"An import may hold at most {MAX_IMPORT_ROWS:,} rows.")
        row = {name: (raw.get(original) or "").strip() for name, original in headers.items()}
        yield _parse(index + 2, row, options)


def _parse(number: int, row: Mapping[str, str], options: ImportOptions) -> ParsedRow:
    parsed = ParsedRow(number=number)
    out = parsed.values

    def take(name: str, column: str, convert: Any) -> None:
        try:
            out[name] = convert(row[column])
        except ValueError as exc:
            parsed.errors[column] = str(exc)

    take("on", "date", lambda text: parse_date(text, options.date_order))
    take("cost", "cost", parse_number)
    if row.get("odometer"):
        take("odometer_km", "odometer", lambda text: _km(parse_number(text), options))
    if options.kind == ImportKind.FUEL:
        take("litres", "fuelconsumed", lambda text: parse_number(text) * LITRES_PER[options.volume_unit])
        if "isfilltofull" in row:
            take("is_full", "isfilltofull", parse_bool)
        else:
            out["is_full"] = True
        if "odometer_km" not in out and "odometer" not in parsed.errors:
            parsed.errors["odometer"] = "A fill-up needs its odometer reading."
        if "litres" in out and out["litres"] <= 0:
            parsed.errors["fuelconsumed"] = "The fuel bought must be more than zero."
    else:
        out["title"] = row["description"][:200]
        if not out["title"]:
            parsed.errors["description"] = "A record needs a description."
    if "cost" in out and out["cost"] < 0:
        parsed.errors["cost"] = "A cost cannot be negative."
    notes = [row.get("notes", "")]
    if row.get("tags"):
        notes.append(f"Tags: {row['tags']}")
    out["notes"] = "\n".join(part for part in notes if part)
    return parsed


def _km(value: Decimal, options: ImportOptions) -> int:
    km = value * KM_PER_MILE if options.distance_unit == "mi" else value
    if km < 0:
        raise ValueError("An odometer reading cannot be negative.")
    return int(km.to_integral_value())


# --- Export ---------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def stream_csv(header: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    # Spreadsheets run a cell starting with = + - @ as a formula; our notes are the driver's free text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True
