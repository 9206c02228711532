"""Writes for the mechanics directory: seed upserts, reviews, listing owners and listing edits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count
from django.http import HttpRequest
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from rest_framework import status

from accounts.models import Role, User
from cardoc.exceptions import DomainError
from cardoc.models import AuditAction
from cardoc.seeding import Decision, SeedLedger, UpsertCounts, upsert_by_key
from cardoc.services import audit_record
from catalog.services import read_catalog_file, read_seed
from directory.models import CHANGE_PERMISSION, WEEKDAYS, Mechanic, MechanicService, Review, Service

DEMO_DIRECTORY_FILE = Path(__file__).resolve().parent / "seed" / "demo_mechanics.json"
SERVICE_FIELDS = ("category", "description", "cost_min", "cost_max", "currency")
DEMO_MECHANIC_FIELDS = (
    "phone",
    "email",
    "website",
    "address",
    "latitude",
    "longitude",
    "certification",
    "verified",
    "working_hours",
)
# What a listing's owner may change on the web page; rating, verification and owners stay with staff.
LISTING_FIELDS = ("business_name", "phone", "email", "website", "address", "latitude", "longitude", "certification")
OBJECT_PERMISSION = CHANGE_PERMISSION.split(".", 1)[1]
CENT = Decimal("0.01")


class OwnListingError(DomainError):
    """A mechanic tried to review a listing they own."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "own_listing"


# --------------------------------------------------------------------------- seed content


@transaction.atomic
def directory_seed(*, demo: bool = False) -> dict[str, UpsertCounts]:
    """Seed the catalog's services and, with ``demo``, the fictional garages (a ``content_seeders`` receiver)."""
    counts = {"services": services_upsert(rows=read_catalog_file()["services"])}
    if demo:
        counts["demo mechanics"] = demo_mechanics_upsert(rows=read_seed(DEMO_DIRECTORY_FILE)["mechanics"])
    return counts


@transaction.atomic
def services_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Create or update catalog services by name."""
    _, counts = upsert_by_key(Service, key="name", rows=rows, fields=SERVICE_FIELDS)
    return counts


@transaction.atomic
def demo_mechanics_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Create or update the demo listings by business name (demo rows only) and their priced services.

    A real listing that happens to share a demo garage's name is never matched or changed. A listing, or
    its priced services, that its mechanic or staff edited since it was seeded keeps their edits.
    """
    rows = list(rows)
    mechanics, counts = upsert_by_key(
        Mechanic, key="business_name", rows=rows, fields=DEMO_MECHANIC_FIELDS, scope={"is_demo": True}
    )
    names = {offer["name"] for row in rows for offer in row["services"]}
    service_ids = dict(Service.objects.filter(name__in=names).values_list("name", "id"))
    if missing := names - set(service_ids):
        raise ValidationError(f"Demo garages offer unknown services: {', '.join(sorted(missing))}.")

    stored: dict[UUID, dict[UUID, MechanicService]] = {mechanic.pk: {} for mechanic in mechanics.values()}
    for offering in MechanicService.objects.filter(mechanic__in=stored):
        stored[offering.mechanic_id][offering.service_id] = offering
    ledger = SeedLedger("directory.mechanicservice", keys=mechanics)
    for row in rows:
        mechanic = mechanics[row["business_name"]]
        wanted = {service_ids[offer["name"]]: Decimal(offer["price"]) for offer in row["services"]}
        have = stored[mechanic.pk]
        decision = ledger.decide(
            row["business_name"],
            current=_offerings_text({sid: offering.price for sid, offering in have.items()}),
            wanted=_offerings_text(wanted),
            missing=not have,
        )
        if decision is Decision.KEEP:
            counts.kept += 1
        elif decision is Decision.WRITE and _offerings_apply(mechanic=mechanic, stored=have, wanted=wanted):
            counts.relinked += 1
    ledger.save()
    return counts


def _offerings_text(prices: Mapping[UUID, Decimal | None]) -> dict[str, str | None]:
    return {str(sid): None if price is None else str(Decimal(price).quantize(CENT)) for sid, price in prices.items()}


def _offerings_apply(
    *, mechanic: Mechanic, stored: Mapping[UUID, MechanicService], wanted: Mapping[UUID, Decimal | None]
) -> dict[str, list[UUID]]:
    """Make ``mechanic``'s offerings exactly ``wanted`` (service id to price); return what changed."""
    added = [service_id for service_id in wanted if service_id not in stored]
    removed = [service_id for service_id in stored if service_id not in wanted]
    repriced = [sid for sid, offering in stored.items() if sid in wanted and offering.price != wanted[sid]]
    if removed:
        MechanicService.objects.filter(mechanic=mechanic, service_id__in=removed).delete()
    for service_id in repriced:
        stored[service_id].price = wanted[service_id]
    MechanicService.objects.bulk_update([stored[sid] for sid in repriced], ["price"])
    MechanicService.objects.bulk_create(
        MechanicService(mechanic=mechanic, service_id=sid, price=wanted[sid]) for sid in added
    )
    changes = {"added": added, "removed": removed, "repriced": repriced}
    return {kind: ids for kind, ids in changes.items() if ids}


# --------------------------------------------------------------------------- reviews


@transaction.atomic
def review_submit(
    *, user: User, mechanic: Mechanic, rating: int, comment: str = "", request: HttpRequest | None = None
) -> tuple[Review, bool]:
    """Record ``user``'s 1 to 5 rating of ``mechanic`` (a second call replaces the first) and refresh the
    listing's average and count. Returns the review and whether it is new.

    The listing row is locked first, so concurrent reviews recompute the aggregate one after another and
    none is lost.
    """
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": "Give a rating from 1 to 5."})
    locked = Mechanic.objects.select_for_update().get(pk=mechanic.pk)
    if locked.owners.filter(pk=user.pk).exists():
        raise OwnListingError("You cannot review a listing you own.")
    review, created = Review.objects.update_or_create(
        user=user, mechanic=locked, defaults={"rating": rating, "comment": comment}
    )
    summary = Review.objects.filter(mechanic=locked).aggregate(average=Avg("rating"), count=Count("id"))
    locked.rating = Decimal(str(summary["average"] or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    locked.rating_count = summary["count"]
    locked.save(update_fields=["rating", "rating_count", "updated_at"])
    audit_record(
        action=AuditAction.REVIEW,
        user=user,
        request=request,
        details={"mechanic_id": str(locked.pk), "review_id": str(review.pk), "rating": rating, "created": created},
    )
    return review, created


# --------------------------------------------------------------------------- listing owners and edits


def week_of(working_hours: Mapping[str, Any] | None) -> dict[str, list[list[str]]]:
    """``working_hours`` with all seven days, a closed day as ``[]``."""
    hours = working_hours or {}
    return {day: [list(span) for span in hours.get(day) or []] for day in WEEKDAYS}


@transaction.atomic
def mechanic_set_owners(
    *,
    mechanic: Mechanic,
    owners: Iterable[User],
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> Mechanic:
    """Make ``owners`` the accounts that may edit ``mechanic``: set the M2M and grant the object
    permission to each, taking it back from anyone who held it before and is no longer an owner."""
    owners = set(owners)
    if refused := sorted(owner.email for owner in owners if owner.role != Role.MECHANIC):
        raise ValidationError({"owners": f"Only mechanic accounts can own a listing: {', '.join(refused)}."})
    # Who could edit before is read from the permissions, not the M2M: the admin saves the M2M first.
    holders = set(get_users_with_perms(mechanic, only_with_perms_in=[OBJECT_PERMISSION], with_group_users=False))
    mechanic.owners.set(owners)
    for owner in owners:
        assign_perm(CHANGE_PERMISSION, owner, mechanic)
    for former in holders - owners:
        remove_perm(CHANGE_PERMISSION, former, mechanic)
    added, removed = owners - holders, holders - owners
    if added or removed:
        audit_record(
            action=AuditAction.MECHANIC_LISTING,
            user=actor,
            request=request,
            details={
                "mechanic_id": str(mechanic.pk),
                "owners_added": sorted(user.email for user in added),
                "owners_removed": sorted(user.email for user in removed),
            },
        )
    return mechanic


@transaction.atomic
def mechanic_listing_update(
    *,
    mechanic: Mechanic,
    user: User,
    details: Mapping[str, Any],
    working_hours: Mapping[str, list[list[str]]],
    offerings: Mapping[Service, Decimal | None],
    request: HttpRequest | None = None,
) -> Mechanic:
    """Apply an owner's edit of their listing: details, weekly hours and services with their prices.

    Only what differs is written, and each edit that changes something leaves one audit entry saying what.
    """
    if not mechanic.is_editable_by(user):
        raise PermissionDenied("You may not edit this listing.")
    locked = Mechanic.objects.select_for_update().get(pk=mechanic.pk)
    wanted = {name: details[name] for name in LISTING_FIELDS if name in details}
    changed = [name for name, value in wanted.items() if getattr(locked, name) != value]
    # A closed day may be stored as [] or left out; only a real difference in the hours is a change.
    if week_of(working_hours) != week_of(locked.working_hours):
        wanted["working_hours"] = week_of(working_hours)
        changed.append("working_hours")
    for name in changed:
        setattr(locked, name, wanted[name])
    if changed:
        locked.full_clean(validate_unique=False, validate_constraints=False)
        locked.save(update_fields=[*changed, "updated_at"])

    stored = {offering.service_id: offering for offering in locked.offerings.select_related("service")}
    names = {service.pk: service.name for service in offerings} | {
        offering.service_id: offering.service.name for offering in stored.values()
    }
    service_changes = _offerings_apply(
        mechanic=locked, stored=stored, wanted={service.pk: price for service, price in offerings.items()}
    )
    if changed or service_changes:
        audit_record(
            action=AuditAction.MECHANIC_LISTING,
            user=user,
            request=request,
            details={
                "mechanic_id": str(locked.pk),
                "fields": changed,
                **{f"services_{kind}": sorted(names[sid] for sid in ids) for kind, ids in service_changes.items()},
            },
        )
    return locked


# --------------------------------------------------------------------------- closing an account


@transaction.atomic
def user_listings_release(*, user: User) -> None:
    """Remove ``user`` from the owners of every listing (a ``cardoc.hooks.user_erasers`` receiver).

    The listings stay: they belong to the garage, not to the closed account. Reviews stay too, since they
    point at the anonymised account row.
    """
    Mechanic.owners.through.objects.filter(user=user).delete()
