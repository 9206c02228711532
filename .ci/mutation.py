#!/usr/bin/env python
"""`make mutation`: run mutmut over the code that guards accounts and schedules, and print its score.

mutmut mutates whole files (``[tool.mutmut] only_mutate`` in pyproject.toml); this script runs only the mutants
of the functions issue 14 names (SCOPE), then scores them: killed / (killed + survived), where a timeout
counts as killed (the test run noticed) and a mutant listed in EQUIVALENT is left out, with its reason.

    python .ci/mutation.py [--jobs N] [--json] [--score-only] [--only GLOB ...]

``--score-only`` reads the results of the last run (mutants/) without running anything; ``--only`` runs and
scores a part of SCOPE (mutant-name globs, e.g. ``'maintenance.dates.*'``), for a quicker look.
Exits 1 when the score is under the target.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).with_name("mutmut")
TARGET = 0.90

# mutmut names a mutant <module>.x_<function>__mutmut_<n>, or <module>.xǁ<Class>ǁ<method>__mutmut_<n>.
SCOPE = [
    "accounts.authentication.*",
    "accounts.throttles.*",
    "accounts.permissions.*",
    # Every visible_to, and the two other scoping querysets (the garage's inbox, the editable listings).
    "*ǁvisible_to__mutmut_*",
    "*ǁfor_garage__mutmut_*",
    # directory/models.py: who may edit a listing, and the opening hours.
    "directory.models.*ǁeditable_by__mutmut_*",
    "directory.models.*ǁis_editable_by__mutmut_*",
    "directory.models.x_validate_working_hours__mutmut_*",
    "directory.models.x_local_day_and_time__mutmut_*",
    "directory.models.x_is_open_in__mutmut_*",
    "directory.models.x__open_condition__mutmut_*",
    "directory.models.*ǁis_open_at__mutmut_*",
    "directory.models.*ǁwith_open_flag__mutmut_*",
    "directory.models.*ǁwith_open_flag_local__mutmut_*",
    "directory.models.*ǁopen_on__mutmut_*",
    "directory.models.*ǁ_annotate_open__mutmut_*",
    "directory.models.*ǁopen_at__mutmut_*",
    "maintenance.dates.*",
    "maintenance.services.*",
]

# Survivors that no test can kill because the mutant behaves exactly like the original: name -> why.
EQUIVALENT: dict[str, str] = {
    # A bad zone name raises ZoneInfoNotFoundError, which user_zone catches, answering ZoneInfo("UTC") anyway.
    "maintenance.dates.x_user_zone__mutmut_14": 'ZoneInfo("XXUTCXX") fails over to UTC in the except clause',
    "maintenance.dates.x_user_zone__mutmut_15": 'ZoneInfo("utc") fails over to UTC in the except clause',
    # Opening hours: validate_working_hours refuses a span that opens and closes at the same minute, and a
    # span past midnight anywhere but last, so stored hours never hold either; these mutants differ only there.
    "directory.models.x_validate_working_hours__mutmut_40": "opens >= closes: opens == closes was refused above",
    "directory.models.x_validate_working_hours__mutmut_47": "previous_close after a day's last span is never read",
    "directory.models.x_validate_working_hours__mutmut_48": "opens <= closes: opens == closes was refused above",
    "directory.models.x_validate_working_hours__mutmut_49": "previous_close after a day's last span is never read",
    "directory.models.x_is_open_in__mutmut_8": "closes <= opens: a span never opens and closes at the same minute",
    "directory.models.x_is_open_in__mutmut_15": "[-2:]: only the last span may cross midnight",
    "directory.models.x_is_open_in__mutmut_18": "closes <= opens: a span never opens and closes at the same minute",
    # The aliases' prefix only has to differ from the other aliases of the query; any constant does.
    "directory.models.xǁMechanicQuerySetǁwith_open_flag_local__mutmut_10": "prefix None: Nonedo0... is as unique",
    "directory.models.xǁMechanicQuerySetǁwith_open_flag_local__mutmut_15": "another constant prefix, as unique",
    "directory.models.xǁMechanicQuerySetǁwith_open_flag_local__mutmut_16": "another constant prefix, as unique",
    # One database: zones_in_use(None) reads the default one, which is self.db.
    "directory.models.xǁMechanicQuerySetǁwith_open_flag__mutmut_2": "None is the default database, self.db",
    # Cast(..., None) takes its output field from KT, a TextField: the SQL is the same CAST(... AS text).
    "directory.models.x__open_condition__mutmut_11": "Cast(KT, None) resolves to the TextField of KT",
    "directory.models.x__open_condition__mutmut_17": "Cast(KT, None) resolves to the TextField of KT",
    # Without output_field the Case takes it from Value(True), a BooleanField: the same annotation.
    "directory.models.xǁMechanicQuerySetǁ_annotate_open__mutmut_4": "Case resolves BooleanField from Value(True)",
    "directory.models.xǁMechanicQuerySetǁ_annotate_open__mutmut_7": "Case resolves BooleanField from Value(True)",
    # SimpleRateThrottle.wait() is falsy only when the history outgrew the rate (a rate lowered mid-window) or at
    # the exact instant the window ends; the fallback is a floor for those, 1 or 2 seconds alike.
    "accounts.throttles.x_login_attempt_wait__mutmut_9": "wait() or 2: the fallback never shows in practice",
    "accounts.throttles.x_login_attempt_wait__mutmut_20": "wait() or 2: the fallback never shows in practice",
    # simplejwt's Token.verify() refuses a token without a jti ("Token has no id") before get_user runs.
    "accounts.authentication.xǁActiveAccountJWTAuthenticationǁget_user__mutmut_21": "jti default: never used",
    "accounts.authentication.xǁActiveAccountJWTAuthenticationǁget_user__mutmut_23": "jti default: never used",
    "accounts.authentication.xǁActiveAccountJWTAuthenticationǁget_user__mutmut_24": "jti default: never used",
}

# Survivors in code that runs only on PostgreSQL (row-level security): the mutation run is on SQLite, so no test
# reaches them there. They are left out of the score like the equivalents, but counted and printed apart, and
# each names the test that covers the line on PostgreSQL (CI's PG job).
POSTGRESQL_ONLY: dict[str, str] = {
    # Every mutant of the profile read under row-level security: a wrong column, flat=False (a tuple), no user.
    f"accounts.authentication.xǁActiveAccountJWTAuthenticationǁ_profile_locale__mutmut_{n}": (
        "rls branch; tests/cardoc/test_language.py::test_the_profile_locale_wins_over_accept_language on PG"
    )
    for n in range(1, 9)
}

KILLED = {"killed", "timeout"}
IGNORED = {"skipped", "not checked", "check was interrupted by user"}


def in_scope(name: str, only: list[str] | None = None) -> bool:
    wanted = any(fnmatch.fnmatchcase(name, pattern) for pattern in only) if only else True
    return wanted and any(fnmatch.fnmatchcase(name, pattern) for pattern in SCOPE)


def results() -> dict[str, str]:
    """Every mutant of the last run and its status, as `mutmut results --all true` prints them."""
    listing = subprocess.run(  # noqa: S603 - our own mutmut, fixed arguments
        [str(MUTMUT), "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    statuses: dict[str, str] = {}
    for line in listing.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            statuses[name] = status.strip()
    return statuses


def module_of(name: str) -> str:
    return name.split(".x", 1)[0] if ".x_" in name or ".xǁ" in name else name.rsplit(".", 1)[0]


def score(statuses: dict[str, str], only: list[str] | None = None) -> dict[str, object]:
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for name, status in sorted(statuses.items()):
        if not in_scope(name, only) or status in IGNORED:
            continue
        if name in EQUIVALENT:
            per_module[module_of(name)]["equivalent"] += 1
        elif name in POSTGRESQL_ONLY:
            per_module[module_of(name)]["postgresql_only"] += 1
        elif status in KILLED:
            per_module[module_of(name)]["killed"] += 1
        else:
            per_module[module_of(name)]["survived"] += 1
            survivors.append(f"{name}: {status}")
    killed = sum(counts["killed"] for counts in per_module.values())
    survived = sum(counts["survived"] for counts in per_module.values())
    total = killed + survived
    return {
        "score": killed / total if total else None,
        "killed": killed,
        "survived": survived,
        "equivalent": sum(counts["equivalent"] for counts in per_module.values()),
        "postgresql_only": sum(counts["postgresql_only"] for counts in per_module.values()),
        "per_module": {module: dict(counts) for module, counts in sorted(per_module.items())},
        "survivors": survivors,
        "target": TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--score-only", action="store_true", help="score the last run without running mutmut")
    parser.add_argument("--only", nargs="+", metavar="GLOB", help="run and score only these mutants of SCOPE")
    args = parser.parse_args()

    if not args.score_only:
        # mutmut exits non-zero when mutants survive; the score below is what decides.
        subprocess.run(  # noqa: S603 - our own mutmut, fixed arguments
            [str(MUTMUT), "run", "--max-children", str(args.jobs), *(args.only or SCOPE)], cwd=ROOT, check=False
        )
    figures = score(results(), args.only)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for module, counts in figures["per_module"].items():  # type: ignore[union-attr]
            print(f"{module:32} killed {counts.get('killed', 0):4}  survived {counts.get('survived', 0):4}")
        for survivor in figures["survivors"]:  # type: ignore[union-attr]
            print(f"  survived: {survivor}")
        value = figures["score"]
        shown = f"{value:.1%}" if isinstance(value, float) else "n/a"
        print(
            f"Mutation score: {shown} ({figures['killed']} killed of {figures['killed'] + figures['survived']}, "  # type: ignore[operator]
            f"{figures['equivalent']} equivalent and {figures['postgresql_only']} PostgreSQL-only left out); "
            f"target {TARGET:.0%}"
        )
    value = figures["score"]
    return 0 if isinstance(value, float) and value >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
