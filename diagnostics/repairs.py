"""The next step of a result: the directory services that fix each finding, and garages near the driver.

Diagnostics sits above the directory, so it reads the directory's models directly. The garages of every
service in a result come from one windowed query (``MechanicQuerySet.nearest_per_service``), however
many findings and services the result has, open-now flags included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.utils import timezone

from diagnostics.models import Detection
from directory.models import Mechanic, Service

# Far enough to reach across a city like Yaoundé from its edge; a driver far from any garage gets none.
GARAGE_RADIUS_KM = 25.0
GARAGES_PER_SERVICE = 3


@dataclass(frozen=True, slots=True)
class Point:
    """Where to look for garages from, and who said so: the upload's location or the request's ``near``."""

    latitude: float
    longitude: float
    source: str  # "upload" or "near"


def repair_services(detection: Detection) -> list[Service]:
    """The services that fix one finding, from the prefetched catalog links.

    A light or a sound has its own; a scanner's trouble code has those of the sounds and lights it is known
    for (P0301: the misfire's, then the check-engine light's), each once.
    """
    if detection.warning_light is not None:
        return list(detection.warning_light.repair_services.all())
    if detection.engine_sound is not None:
        return list(detection.engine_sound.repair_services.all())
    if detection.trouble_code is None:
        return []
    seen: dict[UUID, Service] = {}
    code = detection.trouble_code
    for entry in [*code.engine_sounds.all(), *code.warning_lights.all()]:
        for service in entry.repair_services.all():
            seen.setdefault(service.pk, service)
    return list(seen.values())


def services_of(detections: Iterable[Detection]) -> list[Service]:
    """The services that fix the findings, each once."""
    seen: dict[UUID, Service] = {}
    for detection in detections:
        for service in repair_services(detection):
            seen.setdefault(service.pk, service)
    return list(seen.values())


def garages_by_service(
    services: Iterable[Service], point: Point, *, moment: datetime | None = None
) -> dict[UUID, list[Mechanic]]:
    """Up to three garages offering each service near ``point``, nearest first (one query for all of them).

    Each garage gets ``is_open`` at ``moment`` (default: now), read in Python from the row already fetched:
    at most three per service, where the SQL flag would cost a query for the time zones in use.
    """
    service_ids = [service.pk for service in services]
    found: dict[UUID, list[Mechanic]] = {service_id: [] for service_id in service_ids}
    if not service_ids:
        return found
    rows = Mechanic.objects.nearest_per_service(
        service_ids=service_ids,
        latitude=point.latitude,
        longitude=point.longitude,
        radius_km=GARAGE_RADIUS_KM,
        per_service=GARAGES_PER_SERVICE,
    )
    moment = moment or timezone.now()
    for mechanic in rows:
        mechanic.is_open = mechanic.is_open_at(moment)  # type: ignore[attr-defined]  # read by the serializer
        found[mechanic.offered_service_id].append(mechanic)  # type: ignore[attr-defined]  # an annotation
    return found
