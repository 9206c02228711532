"""The urgency rule, as a table: the worst finding decides; a combined diagnostic merges both."""

from __future__ import annotations

import pytest

from diagnostics.models import Urgency
from diagnostics.urgency import urgency_for

P = pytest.param


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        P([], Urgency.MONITORING, id="nothing found"),
        P(["critical"], Urgency.IMMEDIATE, id="a critical light"),
        P(["moderate"], Urgency.SOON, id="a moderate light or sound"),
        P(["informational"], Urgency.MONITORING, id="an informational light"),
        P(["normal"], Urgency.MONITORING, id="a normal sound"),
        P(["informational", "moderate"], Urgency.SOON, id="lights: moderate beats informational"),
        P(["moderate", "critical", "informational"], Urgency.IMMEDIATE, id="lights: critical beats all"),
        P(["informational", "informational"], Urgency.MONITORING, id="lights: only informational"),
        P(["moderate", "normal"], Urgency.SOON, id="combined: moderate light, normal sound"),
        P(["informational", "moderate"], Urgency.SOON, id="combined: informational light, moderate sound"),
        P(["informational", "critical"], Urgency.IMMEDIATE, id="combined: informational light, critical sound"),
        P(["critical", "normal"], Urgency.IMMEDIATE, id="combined: critical light, normal sound"),
        P(["informational", "normal"], Urgency.MONITORING, id="combined: nothing worrying"),
    ],
)
def test_the_worst_finding_decides_the_urgency(severities: list[str], expected: Urgency) -> None:
    assert urgency_for(severities) == expected


def test_it_reads_a_one_shot_iterable() -> None:
    assert urgency_for(s for s in ("normal", "critical")) == Urgency.IMMEDIATE
