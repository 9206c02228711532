"""What the directory asks of the apps above it, without importing them.

A review may name a visit: a completed maintenance record (the maintenance app) of the driver at the garage.
The directory sits below maintenance, so maintenance registers the check in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

# (*, user, mechanic, visit_id) -> whether visit_id is the user's completed job at that garage.
VisitVerifier = Callable[..., bool]
_visit_verifiers: list[VisitVerifier] = []


def register_visit_verifier(verifier: VisitVerifier) -> VisitVerifier:
    if verifier not in _visit_verifiers:
        _visit_verifiers.append(verifier)
    return verifier


def is_verified_visit(*, user: Any, mechanic: Any, visit_id: UUID) -> bool:
    """True when an app above vouches that ``visit_id`` is ``user``'s completed job at ``mechanic``."""
    return any(verifier(user=user, mechanic=mechanic, visit_id=visit_id) for verifier in _visit_verifiers)
