"""Writes for the mechanics directory: seed upserts, reviews, listing owners and listing edits."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Avg, Count
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from PIL import Image, ImageOps
from rest_framework import status

from accounts.models import Role, User, UserProfile
from cardoc import rls
from cardoc.exceptions import ConflictError, DomainError
from cardoc.hooks import visit_verifiers
from cardoc.models import AuditAction
from cardoc.seeding import Decision, SeedLedger, UpsertCounts, upsert_by_key
from cardoc.services import audit_record
from cardoc.sniff import sniff_file
from cardoc.tasks import enqueue
from cardoc.uploads import IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS, image_too_large, megabytes
from catalog.models import EngineSound, WarningLight
from catalog.services import read_catalog_file, read_seed
from directory.models import (
    CHANGE_PERMISSION,
    MAX_PHOTOS_PER_LISTING,
    WEEKDAYS,
    GaragePhoto,
    ListingClaim,
    Mechanic,
    MechanicService,
    Review,
    ReviewReport,
    ReviewVote,
    Service,
    ServiceForLight,
    ServiceForSound,
)

DEMO_DIRECTORY_FILE = Path(__file__).resolve().parent / "seed" / "demo_mechanics.json"
SERVICE_FIXES_FILE = Path(__file__).resolve().parent / "seed" / "service_fixes.json"
# The services' French, keyed by English name, apart from the English rows: translators edit one file.
SERVICES_FRENCH_FILE = Path(__file__).resolve().parent / "seed" / "services.fr.json"
SERVICE_FRENCH_FIELDS = ("name_fr", "description_fr")
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
LISTING_FIELDS = (
    "business_name",
    "phone",
    "email",
    "website",
    "address",
    "latitude",
    "longitude",
    "certification",
    "description",
    "languages",
    "payment_methods",
    "time_zone",
    "currency",
)
REPLY_MAX_LENGTH = 2000
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
    # English active, so ``name`` matches and writes the English columns and the original ones that the
    # listings' search text copies (directory.translation), whatever language the caller runs in.
    with translation.override("en"):
        counts = {"services": services_upsert(rows=read_catalog_file()["services"])}
        counts["services (French)"] = services_french_upsert(texts=read_seed(SERVICES_FRENCH_FILE)["services"])
        fixes = read_seed(SERVICE_FIXES_FILE)
        counts["repairs per service"] = service_fixes_link(
            lights=fixes["warning_lights"], sounds=fixes["engine_sounds"]
        )
        if demo:
            counts["demo mechanics"] = demo_mechanics_upsert(rows=read_seed(DEMO_DIRECTORY_FILE)["mechanics"])
    return counts


@transaction.atomic
def services_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Create or update catalog services by name."""
    _, counts = upsert_by_key(Service, key="name", rows=rows, fields=SERVICE_FIELDS)
    return counts


@transaction.atomic
def services_french_upsert(*, texts: Mapping[str, Mapping[str, str]]) -> UpsertCounts:
    """Write the French name and description of the services ``texts`` names by English name.

    Their own ledger, as the catalog's French has: a translator's edit in the admin is kept, and the
    English digests stay as they were. Call it with English active (``name`` is the English name).
    """
    known = set(Service.objects.filter(name__in=list(texts)).values_list("name", flat=True))
    # A service staff renamed or removed is skipped rather than created with French text only.
    rows = [
        {"name": name, "name_fr": text["name"], "description_fr": text.get("description", "")}
        for name, text in texts.items()
        if name in known
    ]
    _, counts = upsert_by_key(Service, key="name", rows=rows, fields=SERVICE_FRENCH_FIELDS, kind="directory.service:fr")
    return counts


@transaction.atomic
def service_fixes_link(*, lights: Mapping[str, list[str]], sounds: Mapping[str, list[str]]) -> UpsertCounts:
    """Link each service to the warning lights and engine sounds it fixes (code to service names).

    Counted per service: its set of links is written when it was never seeded or is still as last
    seeded; a service whose links staff changed in the admin since keeps them. Codes the catalog does not
    hold (yet) are skipped, so the directory can be seeded on a trimmed catalog.
    """
    light_ids = dict(WarningLight.objects.filter(code__in=list(lights)).values_list("code", "id"))
    sound_ids = dict(EngineSound.objects.filter(code__in=list(sounds)).values_list("code", "id"))
    wanted: dict[str, set[str]] = {}
    for kind, mapping, known in (("light", lights, light_ids), ("sound", sounds, sound_ids)):
        for code, names in mapping.items():
            if code in known:
                for name in names:
                    wanted.setdefault(name, set()).add(f"{kind}:{code}")
    services = {service.name: service for service in Service.objects.filter(name__in=list(wanted))}
    if missing := set(wanted) - set(services):
        raise ValidationError(f"Repairs name unknown services: {', '.join(sorted(missing))}.")

    have: dict[UUID, set[str]] = {service.pk: set() for service in services.values()}
    for service_id, code in ServiceForLight.objects.filter(service__in=have).values_list(
        "service_id", "warning_light__code"
    ):
        have[service_id].add(f"light:{code}")
    for service_id, code in ServiceForSound.objects.filter(service__in=have).values_list(
        "service_id", "engine_sound__code"
    ):
        have[service_id].add(f"sound:{code}")

    counts = UpsertCounts()
    ledger = SeedLedger("directory.service_fixes", keys=services)
    for name, service in services.items():
        current, target = have[service.pk], wanted[name]
        decision = ledger.decide(name, current=sorted(current), wanted=sorted(target), missing=not current)
        if decision is Decision.KEEP:
            counts.kept += 1
        elif decision is Decision.WRITE:
            _fixes_apply(service=service, current=current, target=target, light_ids=light_ids, sound_ids=sound_ids)
            counts.relinked += 1
        else:
            counts.unchanged += 1
    ledger.save()
    return counts


def _fixes_apply(
    *,
    service: Service,
    current: set[str],
    target: set[str],
    light_ids: Mapping[str, UUID],
    sound_ids: Mapping[str, UUID],
) -> None:
    def codes(entries: set[str], kind: str) -> list[str]:
        return [entry.split(":", 1)[1] for entry in entries if entry.startswith(f"{kind}:")]

    removed, added = current - target, target - current
    ServiceForLight.objects.filter(service=service, warning_light__code__in=codes(removed, "light")).delete()
    ServiceForSound.objects.filter(service=service, engine_sound__code__in=codes(removed, "sound")).delete()
    ServiceForLight.objects.bulk_create(
        ServiceForLight(service=service, warning_light_id=light_ids[code]) for code in codes(added, "light")
    )
    ServiceForSound.objects.bulk_create(
        ServiceForSound(service=service, engine_sound_id=sound_ids[code]) for code in codes(added, "sound")
    )


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
    if added or removed:
        mechanics_refresh_services_text(mechanic_ids=[mechanic.pk])
    changes = {"added": added, "removed": removed, "repriced": repriced}
    return {kind: ids for kind, ids in changes.items() if ids}


def mechanics_refresh_services_text(*, mechanic_ids: Iterable[UUID]) -> None:
    """Copy the names of the services each listing offers into ``services_text``, which search reads."""
    # In English whatever the caller's language: search matches the English names (directory.translation).
    with translation.override("en"):
        _refresh_services_text(mechanic_ids=mechanic_ids)


def _refresh_services_text(*, mechanic_ids: Iterable[UUID]) -> None:
    for mechanic_id in mechanic_ids:
        names = (
            MechanicService.objects.filter(mechanic_id=mechanic_id)
            .order_by("service__name")
            .values_list("service__name", flat=True)
        )
        Mechanic.objects.filter(pk=mechanic_id).update(services_text=" · ".join(names))


def service_mechanic_ids(*, service: Service) -> list[UUID]:
    """The listings offering ``service``, whose search text names it."""
    return list(MechanicService.objects.filter(service=service).values_list("mechanic_id", flat=True))


# --------------------------------------------------------------------------- reviews


class AlreadyReportedError(ConflictError):
    code = "already_reported"


def mechanic_refresh_rating(*, mechanic_id: UUID) -> Mechanic | None:
    """Recompute a listing's average and count from its published reviews, with the listing row locked, so
    concurrent writers recompute one after another and none is lost. None when the listing is gone."""
    locked = Mechanic.objects.select_for_update().filter(pk=mechanic_id).first()
    if locked is None:
        return None
    summary = Review.objects.published().filter(mechanic=locked).aggregate(average=Avg("rating"), count=Count("id"))
    locked.rating = Decimal(str(summary["average"] or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    locked.rating_count = summary["count"]
    locked.save(update_fields=["rating", "rating_count", "updated_at"])
    return locked


def _check_rating(rating: int) -> None:
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": gettext("Give a rating from 1 to 5.")})


def _is_verified_visit(*, user: User, mechanic: Mechanic, visit_id: UUID) -> bool:
    """True when an app above (maintenance) vouches that ``visit_id`` is ``user``'s completed job here."""
    return any(verify(user=user, mechanic=mechanic, visit_id=visit_id) for verify in visit_verifiers)


@transaction.atomic
def review_submit(
    *,
    user: User,
    mechanic: Mechanic,
    rating: int,
    comment: str = "",
    visit_id: UUID | None = None,
    review_id: UUID | None = None,
    request: HttpRequest | None = None,
) -> tuple[Review, bool]:
    """Record ``user``'s 1 to 5 rating of ``mechanic`` and refresh the listing's average and count.

    A driver has one review per visit (``visit_id``: their completed maintenance record at this garage,
    which makes it a verified visit) and one not tied to any visit; posting again for the same visit, or
    again without one, replaces that review. Returns the review and whether it is new.

    ``review_id`` is an id the app chose offline (``cardoc.sync``): the review is made with it, and never
    replaces one the driver already has for that visit (or without one): that is a 409, since the phone
    would otherwise hold a review the server no longer has, and the other one's words would be lost.
    """
    _check_rating(rating)
    locked = Mechanic.objects.select_for_update().get(pk=mechanic.pk)
    if locked.owners.filter(pk=user.pk).exists():
        raise OwnListingError(gettext("You cannot review a listing you own."))
    if visit_id is not None and not _is_verified_visit(user=user, mechanic=locked, visit_id=visit_id):
        raise ValidationError({"visit": gettext("This is not one of your completed jobs at this garage.")})
    if visit_id is not None and Review.objects.filter(visit_id=visit_id).exclude(user=user).exists():
        raise ValidationError({"visit": gettext("This visit has been reviewed already.")})
    fields = {"rating": rating, "comment": comment, "author_name": review_author_name(user=user)}
    if review_id is None:
        review, created = Review.objects.update_or_create(
            user=user, mechanic=locked, visit_id=visit_id, defaults=fields
        )
    elif Review.objects.filter(user=user, mechanic=locked, visit_id=visit_id).exists():
        raise ConflictError(
            gettext("You have reviewed this garage already (for this visit): edit that review instead."),
            code="review_exists",
        )
    else:
        review = Review.objects.create(id=review_id, user=user, mechanic=locked, visit_id=visit_id, **fields)
        created = True
    refreshed = mechanic_refresh_rating(mechanic_id=locked.pk)
    review.mechanic = refreshed or locked
    audit_record(
        action=AuditAction.REVIEW,
        user=user,
        request=request,
        details={
            "mechanic_id": str(locked.pk),
            "review_id": str(review.pk),
            "rating": rating,
            "created": created,
            "verified_visit": visit_id is not None,
        },
    )
    return review, created


def review_author_name(*, user: User) -> str:
    """How a review names its author in public: first name and the last name's initial ("Ada L.")."""
    profile = UserProfile.objects.filter(user=user).first()
    parts = (profile.full_name if profile else "").split()
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


@transaction.atomic
def review_update(
    *,
    review: Review,
    user: User,
    rating: int | None = None,
    comment: str | None = None,
    request: HttpRequest | None = None,
) -> Review:
    """The author changes their review's rating or comment; the listing's aggregate follows."""
    if review.user_id != user.pk:
        raise PermissionDenied(gettext("Only its author may edit a review."))
    Mechanic.objects.select_for_update().get(pk=review.mechanic_id)
    changed = []
    if rating is not None and rating != review.rating:
        _check_rating(rating)
        review.rating = rating
        changed.append("rating")
    if comment is not None and comment != review.comment:
        review.comment = comment
        changed.append("comment")
    if changed:
        review.author_name = review_author_name(user=user)
        review.save(update_fields=[*changed, "author_name", "updated_at"])
        audit_record(
            action=AuditAction.REVIEW,
            user=user,
            request=request,
            details={"review_id": str(review.pk), "mechanic_id": str(review.mechanic_id), "fields": changed},
        )
    review.mechanic = mechanic_refresh_rating(mechanic_id=review.mechanic_id) or review.mechanic
    return review


@transaction.atomic
def review_delete(*, review: Review, actor: User, request: HttpRequest | None = None) -> Mechanic | None:
    """Delete a review (its author, or staff) and recompute the listing's aggregate."""
    if review.user_id != actor.pk and not actor.is_staff:
        raise PermissionDenied(gettext("Only its author may delete a review."))
    mechanic_id, review_id = review.mechanic_id, review.pk
    Mechanic.objects.select_for_update().filter(pk=mechanic_id).first()
    # Other drivers' votes and reports on it go with it; row-level security hides them from the author, so
    # the cascade runs under an audited bypass (after the check above), or their rows would block the delete.
    with rls.bypass(reason="review_delete"):
        review.delete()
    audit_record(
        action=AuditAction.REVIEW,
        user=actor,
        request=request,
        details={"review_id": str(review_id), "mechanic_id": str(mechanic_id), "deleted": True},
    )
    return mechanic_refresh_rating(mechanic_id=mechanic_id)


@transaction.atomic
def review_staff_save(*, review: Review, actor: User, request: HttpRequest | None = None) -> Review:
    """Staff saved a review in the admin (edited its rating, hid or restored it): store it, recompute.

    Both listings are recomputed when staff moved the review to another one.
    """
    before = Review.objects.filter(pk=review.pk).values_list("mechanic_id", flat=True).first()
    Mechanic.objects.select_for_update().filter(pk=review.mechanic_id).first()
    review.save()
    if before is not None and before != review.mechanic_id:
        mechanic_refresh_rating(mechanic_id=before)
    if review.is_hidden:
        review.reports.filter(resolved=False).update(resolved=True)
    audit_record(
        action=AuditAction.REVIEW,
        user=actor,
        request=request,
        details={
            "review_id": str(review.pk),
            "mechanic_id": str(review.mechanic_id),
            "by_staff": True,
            "hidden": review.is_hidden,
        },
    )
    mechanic_refresh_rating(mechanic_id=review.mechanic_id)
    return review


@transaction.atomic
def review_set_hidden(
    *, review: Review, actor: User, hidden: bool, reason: str = "", request: HttpRequest | None = None
) -> Review:
    """Staff hide an abusive review (it leaves the aggregate and the listing) or restore it."""
    review.is_hidden = hidden
    review.hidden_reason = reason if hidden else ""
    return review_staff_save(review=review, actor=actor, request=request)


@transaction.atomic
def review_reply(*, review: Review, user: User, text: str, request: HttpRequest | None = None) -> Review:
    """The listing's owner answers a review; there is one reply per review, which the owner may reword."""
    if not review.mechanic.is_editable_by(user):
        raise PermissionDenied(gettext("Only the listing's owner may reply to its reviews."))
    text = text.strip()
    if not text:
        raise ValidationError({"reply": gettext("Write a reply.")})
    if len(text) > REPLY_MAX_LENGTH:
        raise ValidationError(
            {"reply": gettext("Keep the reply under %(most)d characters.") % {"most": REPLY_MAX_LENGTH}}
        )
    # The review row is its author's; row-level security lets the garage write its reply only through this
    # audited bypass, after the ownership check above.
    with rls.bypass(reason="review_reply"):
        locked = Review.objects.select_for_update().get(pk=review.pk)
        first = not locked.reply
        locked.reply, locked.replied_by = text, user
        if first:
            locked.replied_at = timezone.now()
        locked.save(update_fields=["reply", "replied_by", "replied_at", "updated_at"])
    audit_record(
        action=AuditAction.REVIEW,
        user=user,
        request=request,
        details={
            "review_id": str(locked.pk),
            "mechanic_id": str(locked.mechanic_id),
            "reply": "new" if first else "edited",
        },
    )
    return locked


@transaction.atomic
def review_mark_helpful(*, review: Review, user: User, helpful: bool) -> Review:
    """Add or take back ``user``'s "helpful" vote; the count is kept on the review for the ordering."""
    if review.user_id == user.pk:
        raise DomainError(gettext("You cannot vote for your own review."), code="own_review")
    # The count lives on the author's row, which row-level security keeps from other drivers: the vote and
    # the recount go through an audited bypass, with the row locked so two votes cannot miscount.
    with rls.bypass(reason="review_helpful_vote"):
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if helpful:
            ReviewVote.objects.get_or_create(review=locked, user=user)
        else:
            ReviewVote.objects.filter(review=locked, user=user).delete()
        locked.helpful_count = locked.votes.count()
        # Not updated_at: a vote is not an edit of the review.
        locked.save(update_fields=["helpful_count"])
    return locked


@transaction.atomic
def review_report(
    *, review: Review, user: User, reason: str, details: str = "", request: HttpRequest | None = None
) -> ReviewReport:
    """Report a review as abusive, once per user; staff read the reports in the admin."""
    if review.user_id == user.pk:
        raise DomainError(gettext("You cannot report your own review."), code="own_review")
    if reason not in ReviewReport.Reason.values:
        raise ValidationError(
            {"reason": gettext("Choose one of: %(reasons)s.") % {"reasons": ", ".join(ReviewReport.Reason.values)}}
        )
    if ReviewReport.objects.filter(review=review, user=user).exists():
        raise AlreadyReportedError(gettext("You have reported this review already."))
    report = ReviewReport.objects.create(review=review, user=user, reason=reason, details=details)
    audit_record(
        action=AuditAction.REVIEW,
        user=user,
        request=request,
        details={"review_id": str(review.pk), "report_id": str(report.pk), "reason": reason},
    )
    return report


# --------------------------------------------------------------------------- photos


def _checked_photo(file: UploadedFile) -> None:
    if file.size is None or file.size > IMAGE_MAX_BYTES:
        raise ValidationError(
            {
                "image": gettext("The photo is %(size)s; the limit is %(limit)s.")
                % {"size": megabytes(file.size or 0), "limit": megabytes(IMAGE_MAX_BYTES)}
            }
        )
    kind = sniff_file(cast(BinaryIO, file))  # an upload reads and seeks like any binary file
    if kind is None or not kind.is_image:
        raise ValidationError({"image": gettext("The photo must be a JPEG, PNG or WebP image.")})
    # The header alone tells the size, so a decompression bomb is refused before anything decodes it.
    if image_too_large(cast(BinaryIO, file)):
        raise ValidationError(
            {
                "image": gettext("The photo has more than %(most)d megapixels; send a smaller one.")
                % {"most": IMAGE_MAX_PIXELS // 1_000_000}
            }
        )
    position = file.tell()
    try:
        with Image.open(file) as image:
            image.verify()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ValidationError({"image": gettext("The photo is damaged or is not a JPEG, PNG or WebP image.")}) from exc
    finally:
        file.seek(position)
    file.name = f"photo.{kind.extension}"


@transaction.atomic
def photo_add(
    *, mechanic: Mechanic, user: User, image: UploadedFile, caption: str = "", request: HttpRequest | None = None
) -> GaragePhoto:
    """Add a public photo to a listing (at most MAX_PHOTOS_PER_LISTING); the worker makes its thumbnail."""
    if not mechanic.is_editable_by(user):
        raise PermissionDenied(gettext("You may not edit this listing."))
    locked = Mechanic.objects.select_for_update().get(pk=mechanic.pk)
    if locked.photos.count() >= MAX_PHOTOS_PER_LISTING:
        raise ValidationError(
            {
                "image": gettext("A listing has at most %(most)d photos; remove one first.")
                % {"most": MAX_PHOTOS_PER_LISTING}
            }
        )
    _checked_photo(image)
    photo = GaragePhoto(mechanic=locked, uploaded_by=user, caption=caption.strip()[:140])
    photo.image.save(image.name, image, save=False)
    try:
        photo.save()
    except Exception:
        photo.image.storage.delete(photo.image.name)  # no orphan file when the row cannot be stored
        raise
    transaction.on_commit(lambda: enqueue("directory.tasks.make_photo_thumbnail", str(photo.pk)))
    audit_record(
        action=AuditAction.MECHANIC_LISTING,
        user=user,
        request=request,
        details={"mechanic_id": str(locked.pk), "photo_added": str(photo.pk)},
    )
    return photo


THUMBNAIL_SIZE = (480, 360)


def photo_make_thumbnail(*, photo_id: UUID) -> GaragePhoto | None:
    """Make a photo's JPEG thumbnail (upright, at most THUMBNAIL_SIZE). None when the photo is gone."""
    photo = GaragePhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        return None
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        upright.save(buffer, format="JPEG", quality=82, optimize=True)
    old = photo.thumbnail.name
    photo.thumbnail.save("thumb.jpg", ContentFile(buffer.getvalue()), save=False)
    GaragePhoto.objects.filter(pk=photo.pk).update(thumbnail=photo.thumbnail.name)
    if old and old != photo.thumbnail.name:
        photo.thumbnail.storage.delete(old)
    return photo


@transaction.atomic
def photo_delete(*, photo: GaragePhoto, user: User, request: HttpRequest | None = None) -> None:
    """Remove a photo and, once that is committed, its files."""
    if not photo.mechanic.is_editable_by(user):
        raise PermissionDenied(gettext("You may not edit this listing."))
    storage, names = photo.image.storage, [name for name in (photo.image.name, photo.thumbnail.name) if name]
    photo_id, mechanic_id = photo.pk, photo.mechanic_id
    photo.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    audit_record(
        action=AuditAction.MECHANIC_LISTING,
        user=user,
        request=request,
        details={"mechanic_id": str(mechanic_id), "photo_removed": str(photo_id)},
    )


# --------------------------------------------------------------------------- claims


class ClaimError(ConflictError):
    code = "claim_not_possible"


@transaction.atomic
def claim_request(*, mechanic: Mechanic, user: User, message: str, request: HttpRequest | None = None) -> ListingClaim:
    """A mechanic account asks to manage a listing; staff decide in the admin."""
    if user.role != Role.MECHANIC:
        raise PermissionDenied(gettext("Only mechanic accounts can claim a listing."))
    if not message.strip():
        raise ValidationError({"message": gettext("Say how we can confirm the garage is yours (a phone number, say).")})
    locked = Mechanic.objects.select_for_update().get(pk=mechanic.pk)
    if locked.owners.filter(pk=user.pk).exists():
        raise ClaimError(gettext("You manage this listing already."))
    if ListingClaim.objects.filter(mechanic=locked, user=user, status=ListingClaim.Status.PENDING).exists():
        raise ClaimError(gettext("Your claim of this listing is waiting for our staff."))
    claim = ListingClaim.objects.create(mechanic=locked, user=user, message=message.strip())
    audit_record(
        action=AuditAction.MECHANIC_LISTING,
        user=user,
        request=request,
        details={"mechanic_id": str(locked.pk), "claim_id": str(claim.pk), "claim": "requested"},
    )
    return claim


@transaction.atomic
def claim_decide(
    *, claim: ListingClaim, actor: User, approve: bool, request: HttpRequest | None = None
) -> ListingClaim:
    """Staff approve a claim (the mechanic becomes an owner, with the object permission) or reject it."""
    locked = ListingClaim.objects.select_for_update().select_related("mechanic", "user").get(pk=claim.pk)
    if locked.status != ListingClaim.Status.PENDING:
        raise ClaimError(f"This claim was {locked.get_status_display().lower()} already.")
    locked.status = ListingClaim.Status.APPROVED if approve else ListingClaim.Status.REJECTED
    locked.decided_by, locked.decided_at = actor, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        owners = {*locked.mechanic.owners.all(), locked.user}
        mechanic_set_owners(mechanic=locked.mechanic, owners=owners, actor=actor, request=request)
    audit_record(
        action=AuditAction.MECHANIC_LISTING,
        user=actor,
        request=request,
        details={
            "mechanic_id": str(locked.mechanic_id),
            "claim_id": str(locked.pk),
            "claim": locked.status,
            "claimant": locked.user.email,
        },
    )
    return locked


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
        raise ValidationError(
            {
                "owners": gettext("Only mechanic accounts can own a listing: %(refused)s.")
                % {"refused": ", ".join(refused)}
            }
        )
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
        raise PermissionDenied(gettext("You may not edit this listing."))
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
