"""The one rule that turns findings into urgency: the worst finding decides."""

from __future__ import annotations

from collections.abc import Iterable

from diagnostics.models import Urgency

CRITICAL = "critical"
MODERATE = "moderate"


def urgency_for(severities: Iterable[str]) -> Urgency:
    """Immediate if any finding is critical, soon if any is moderate, otherwise monitoring.

    Warning lights (critical, moderate, informational) and engine sounds (critical, moderate, normal)
    share the words that matter, so a combined diagnostic passes both findings' severities at once.
    """
    seen = set(severities)
    if CRITICAL in seen:
        return Urgency.IMMEDIATE
    if MODERATE in seen:
        return Urgency.SOON
    return Urgency.MONITORING
