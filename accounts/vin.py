"""Offline VIN checks and decoding: the check digit, the maker (WMI) and the model year.

Our own table, written from the public structure of ISO 3779 / 49 CFR 565 (no third-party data):
- the check digit (position 9) is mandatory for North American VINs (first character 1 to 5) and is
  verified only there, since elsewhere position 9 may be any character;
- the country comes from the first two characters (the ISO 3779 region ranges we list), the maker from the
  first three (a curated list of common WMIs); anything not listed is reported as unknown, never guessed;
- the year code (position 10) repeats every 30 years: a North American passenger car's position 7 (a digit
  before 2010, a letter since) settles it; elsewhere the year the driver gave picks among the readings,
  and when it matches none of them the year is left undecoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone

VIN_LENGTH = 17
ALLOWED = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# The order ISO 3779 ranges run in: letters (no I, O, Q), then 1 to 9, then 0.
RANGE_ORDER = "ABCDEFGHJKLMNPRSTUVWXYZ1234567890"
TRANSLITERATION = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_DIGIT_POSITION = 9
YEAR_POSITION = 10
# Position 10: 30 codes, 1980 (A) to 2009 (9), then again from 2010 (A).
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
FIRST_YEAR = 1980
NORTH_AMERICA = "12345"

# (first character, second-character range start, range end, country), ranges in RANGE_ORDER.
COUNTRY_RANGES: tuple[tuple[str, str, str, str], ...] = (
    ("A", "A", "H", "South Africa"),
    ("J", "A", "0", "Japan"),
    ("K", "L", "R", "South Korea"),
    ("L", "A", "0", "China"),
    ("M", "A", "E", "India"),
    ("M", "F", "K", "Indonesia"),
    ("M", "L", "R", "Thailand"),
    ("N", "L", "R", "Turkey"),
    ("S", "A", "M", "United Kingdom"),
    ("S", "U", "Z", "Poland"),
    ("T", "A", "H", "Switzerland"),
    ("T", "J", "P", "Czech Republic"),
    ("T", "R", "V", "Hungary"),
    ("V", "A", "E", "Austria"),
    ("V", "F", "R", "France"),
    ("V", "S", "W", "Spain"),
    ("W", "A", "0", "Germany"),
    ("X", "L", "R", "Netherlands"),
    ("X", "3", "0", "Russia"),
    ("Y", "A", "E", "Belgium"),
    ("Y", "F", "K", "Finland"),
    ("Y", "S", "W", "Sweden"),
    ("Z", "A", "R", "Italy"),
    ("1", "A", "0", "United States"),
    ("2", "A", "0", "Canada"),
    ("3", "A", "W", "Mexico"),
    ("4", "A", "0", "United States"),
    ("5", "A", "0", "United States"),
    ("6", "A", "W", "Australia"),
    ("7", "A", "E", "New Zealand"),
    ("8", "A", "E", "Argentina"),
    ("9", "A", "E", "Brazil"),
    ("9", "3", "9", "Brazil"),
)

# World manufacturer identifiers of common makes (the first three characters).
WMI_MAKERS: dict[str, str] = {
    "1C4": "Chrysler (Jeep, Dodge)",
    "1C6": "Chrysler (Ram)",
    "1FA": "Ford",
    "1FM": "Ford",
    "1FT": "Ford",
    "1G1": "Chevrolet",
    "1G6": "Cadillac",
    "1GC": "Chevrolet",
    "1GT": "GMC",
    "1HD": "Harley-Davidson",
    "1HG": "Honda",
    "1J4": "Jeep",
    "1N4": "Nissan",
    "1N6": "Nissan",
    "1VW": "Volkswagen",
    "2C3": "Chrysler",
    "2FA": "Ford",
    "2G1": "Chevrolet",
    "2HG": "Honda",
    "2HK": "Honda",
    "2T1": "Toyota",
    "2T3": "Toyota",
    "3FA": "Ford",
    "3GN": "Chevrolet",
    "3HG": "Honda",
    "3N1": "Nissan",
    "3VW": "Volkswagen",
    "4S3": "Subaru",
    "4S4": "Subaru",
    "4T1": "Toyota",
    "4T3": "Toyota",
    "4US": "BMW",
    "5FN": "Honda",
    "5J6": "Honda",
    "5N1": "Nissan",
    "5NP": "Hyundai",
    "5TD": "Toyota",
    "5UX": "BMW",
    "5XY": "Kia",
    "5YJ": "Tesla",
    "7SA": "Tesla",
    "9BG": "Chevrolet",
    "9BW": "Volkswagen",
    "AHT": "Toyota",
    "JA3": "Mitsubishi",
    "JF1": "Subaru",
    "JF2": "Subaru",
    "JHM": "Honda",
    "JM1": "Mazda",
    "JMZ": "Mazda",
    "JN1": "Nissan",
    "JN8": "Nissan",
    "JS2": "Suzuki",
    "JT2": "Toyota",
    "JTD": "Toyota",
    "JTE": "Toyota",
    "JTM": "Toyota",
    "JTN": "Toyota",
    "KMH": "Hyundai",
    "KNA": "Kia",
    "KND": "Kia",
    "LSV": "Volkswagen (SAIC)",
    "LVS": "Ford (Changan)",
    "MA3": "Suzuki (Maruti)",
    "MAL": "Hyundai",
    "MR0": "Toyota",
    "SAJ": "Jaguar",
    "SAL": "Land Rover",
    "SCC": "Lotus",
    "TMB": "Škoda",
    "VF1": "Renault",
    "VF3": "Peugeot",
    "VF7": "Citroën",
    "VSS": "SEAT",
    "WAU": "Audi",
    "WBA": "BMW",
    "WBS": "BMW M",
    "WDB": "Mercedes-Benz",
    "WDD": "Mercedes-Benz",
    "WMW": "MINI",
    "WP0": "Porsche",
    "WVG": "Volkswagen",
    "WVW": "Volkswagen",
    "YV1": "Volvo",
    "ZAR": "Alfa Romeo",
    "ZFA": "Fiat",
    "ZFF": "Ferrari",
}


@dataclass(frozen=True, slots=True)
class VinInfo:
    """What a VIN says, as far as our table knows; ``None`` where it cannot tell."""

    manufacturer: str | None
    country: str | None
    model_year: int | None
    check_digit_verified: bool
    notes: list[str] = field(default_factory=list)


def _check_digit(vin: str) -> str:
    total = sum(TRANSLITERATION[char] * weight for char, weight in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_errors(vin: str) -> str | None:
    """Why ``vin`` (upper case) is not a valid VIN, naming the character; None when it is."""
    if len(vin) != VIN_LENGTH:
        return f"A VIN has {VIN_LENGTH} characters; this one has {len(vin)}."
    for position, char in enumerate(vin, start=1):
        if char not in ALLOWED:
            if char in "IOQ":
                return f"Character {position} is “{char}”: VINs never use I, O or Q (did you mean 1 or 0?)."
            return f"Character {position} is “{char}”: a VIN has only letters and digits."
    if vin[0] in NORTH_AMERICA:
        expected = _check_digit(vin)
        if vin[CHECK_DIGIT_POSITION - 1] != expected:
            return (
                f"Character {CHECK_DIGIT_POSITION} (the check digit) is “{vin[CHECK_DIGIT_POSITION - 1]}”, "
                f"but the other characters give “{expected}”: one of them is mistyped."
            )
        if vin[YEAR_POSITION - 1] not in YEAR_CODES:
            return f"Character {YEAR_POSITION} is “{vin[YEAR_POSITION - 1]}”, which is not a model-year code."
    return None


def validate_vin_characters(vin: str) -> None:
    """A validator raising the message of ``vin_errors``."""
    if vin and (message := vin_errors(vin.strip().upper())):
        raise ValidationError(message)


def _country(vin: str) -> str | None:
    second = RANGE_ORDER.index(vin[1])
    for first, start, end, country in COUNTRY_RANGES:
        if vin[0] == first and RANGE_ORDER.index(start) <= second <= RANGE_ORDER.index(end):
            return country
    return None


def _year_readings(code: str) -> list[int]:
    if code not in YEAR_CODES:
        return []
    latest = timezone.now().year + 1
    first = FIRST_YEAR + YEAR_CODES.index(code)
    return list(range(first, latest + 1, len(YEAR_CODES)))


def decode_vin(vin: str, *, declared_year: int | None = None) -> VinInfo:
    """Decode a valid VIN (see ``vin_errors``) offline; unknown parts are None, with a note saying why."""
    vin = vin.strip().upper()
    notes: list[str] = []
    manufacturer = WMI_MAKERS.get(vin[:3])
    if manufacturer is None:
        notes.append(f"The maker code “{vin[:3]}” is not in our table.")
    country = _country(vin)
    if country is None:
        notes.append(f"The region code “{vin[:2]}” is not in our table.")
    code = vin[YEAR_POSITION - 1]
    readings = _year_readings(code)
    model_year: int | None = None
    if vin[0] in NORTH_AMERICA and readings:
        # 49 CFR 565: since 2010 a passenger car's position 7 is a letter, before it a digit.
        since_2010 = vin[6].isalpha()
        matching = [year for year in readings if (year >= 2010) == since_2010]
        model_year = matching[-1] if matching else None
    elif declared_year in readings:
        model_year = declared_year
    if model_year is None:
        if readings:
            choices = " or ".join(str(year) for year in readings)
            notes.append(f"The year code “{code}” reads as {choices}; it does not settle the model year.")
        else:
            notes.append(f"Character {YEAR_POSITION} (“{code}”) is not a model-year code.")
    return VinInfo(
        manufacturer=manufacturer,
        country=country,
        model_year=model_year,
        check_digit_verified=vin[0] in NORTH_AMERICA,
        notes=notes,
    )
