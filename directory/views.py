"""Server-rendered pages where mechanics keep their own listings up to date."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from accounts.models import Role
from cardoc.exceptions import ConflictError
from directory.forms import (
    ClaimForm,
    ClaimSearchForm,
    ListingForm,
    OfferingFormSet,
    PhotoForm,
    ReplyForm,
    WeekFormSet,
    week_initial,
)
from directory.models import MAX_PHOTOS_PER_LISTING, ListingClaim, Mechanic, Review
from directory.search import search_listings
from directory.services import claim_request, mechanic_listing_update, photo_add, photo_delete, review_reply


class MechanicPagesMixin(LoginRequiredMixin):
    """Signed-out visitors go to the login page; signed-in accounts that are neither mechanics nor staff get
    403. Which listings a mechanic sees is then decided per object (django-guardian)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not (user.is_staff or user.role == Role.MECHANIC):
            raise PermissionDenied("These pages are for mechanics.")
        return super().dispatch(request, *args, **kwargs)

    def editable_listings(self) -> QuerySet[Mechanic]:
        return Mechanic.objects.editable_by(self.request.user)


class ListingListView(MechanicPagesMixin, ListView):
    template_name = "directory/listing_list.html"
    context_object_name = "listings"

    def get_queryset(self) -> QuerySet[Mechanic]:
        return self.editable_listings().with_managed_flag().order_by("business_name")


class ListingEditView(MechanicPagesMixin, View):
    """Edit one listing: details, weekly hours and services with prices, saved together or not at all."""

    template_name = "directory/listing_edit.html"

    def get(self, request: HttpRequest, pk: str) -> HttpResponse:
        listing = self._listing(pk)
        return self._render(request, listing, **self._forms(listing))

    def post(self, request: HttpRequest, pk: str) -> HttpResponse:
        listing = self._listing(pk)
        forms = self._forms(listing, data=request.POST)
        if not all(form.is_valid() for form in forms.values()):
            return self._render(request, listing, **forms)
        mechanic_listing_update(
            mechanic=listing,
            user=request.user,
            details=forms["form"].cleaned_data,
            working_hours=forms["week"].working_hours(),
            offerings=forms["offerings"].offerings(),
            request=request,
        )
        messages.success(request, "Your listing has been saved.")
        return redirect("directory:listing-edit", pk=listing.pk)

    def _listing(self, pk: str) -> Mechanic:
        # Another mechanic's listing is simply not found: its existence is not revealed.
        return get_object_or_404(self.editable_listings(), pk=pk)

    def _forms(self, listing: Mechanic, data: Any = None) -> dict[str, Any]:
        # The ModelForm edits a copy, so a rejected form never leaves half-applied values on ``listing``.
        copy = Mechanic.objects.get(pk=listing.pk)
        return {
            "form": ListingForm(data, instance=copy),
            "week": WeekFormSet(data, initial=week_initial(listing.working_hours), prefix="hours"),
            "offerings": OfferingFormSet(
                data,
                instance=listing,
                prefix="services",
                queryset=listing.offerings.select_related("service").order_by("service__name"),
                form_kwargs={"currency": listing.currency},
            ),
        }

    def _render(self, request: HttpRequest, listing: Mechanic, **forms: Any) -> HttpResponse:
        open_sections = forms["form"].sections_with_errors()
        if forms["week"].total_error_count():
            open_sections.add("hours")
        if forms["offerings"].total_error_count():
            open_sections.add("services")
        if not forms["form"].is_bound:
            open_sections.add("business")  # a first look shows the first section, the rest folded
        return render(request, self.template_name, {"listing": listing, "open_sections": open_sections, **forms})


class ListingPhotosView(MechanicPagesMixin, View):
    """A listing's public photos: add one (checked like any upload), remove one."""

    template_name = "directory/listing_photos.html"

    def get(self, request: HttpRequest, pk: str) -> HttpResponse:
        listing = get_object_or_404(self.editable_listings(), pk=pk)
        return self._render(request, listing, PhotoForm())

    def post(self, request: HttpRequest, pk: str) -> HttpResponse:
        listing = get_object_or_404(self.editable_listings(), pk=pk)
        if remove := request.POST.get("remove"):
            photo = get_object_or_404(listing.photos, pk=_uuid_or_404(remove))
            photo_delete(photo=photo, user=request.user, request=request)
            messages.success(request, "The photo has been removed.")
            return redirect("directory:listing-photos", pk=listing.pk)
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                photo_add(
                    mechanic=listing,
                    user=request.user,
                    image=form.cleaned_data["image"],
                    caption=form.cleaned_data["caption"],
                    request=request,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Your photo has been added. Its thumbnail appears in a moment.")
                return redirect("directory:listing-photos", pk=listing.pk)
        return self._render(request, listing, form, status=400)

    def _render(self, request: HttpRequest, listing: Mechanic, form: PhotoForm, status: int = 200) -> HttpResponse:
        photos = list(listing.photos.order_by("created_at", "id"))
        context = {"listing": listing, "form": form, "photos": photos, "max_photos": MAX_PHOTOS_PER_LISTING}
        return render(request, self.template_name, context, status=status)


class ListingReviewsView(MechanicPagesMixin, View):
    """A listing's reviews, newest first, each with its one public reply from the garage."""

    template_name = "directory/listing_reviews.html"
    paginate_by = 20

    def get(self, request: HttpRequest, pk: str) -> HttpResponse:
        listing = get_object_or_404(self.editable_listings(), pk=pk)
        return self._render(request, listing)

    def post(self, request: HttpRequest, pk: str) -> HttpResponse:
        listing = get_object_or_404(self.editable_listings(), pk=pk)
        review = get_object_or_404(
            Review.objects.published().filter(mechanic=listing), pk=_uuid_or_404(request.POST.get("review", ""))
        )
        form = ReplyForm(request.POST, instance=Review.objects.get(pk=review.pk), auto_id=_reply_id(review))
        if form.is_valid():
            review_reply(review=review, user=request.user, text=form.cleaned_data["reply"], request=request)
            messages.success(request, "Your reply is published.")
            return redirect(f"{reverse('directory:listing-reviews', kwargs={'pk': listing.pk})}#review-{review.pk}")
        return self._render(request, listing, failed=(review.pk, form), status=400)

    def _render(
        self, request: HttpRequest, listing: Mechanic, failed: tuple[Any, ReplyForm] | None = None, status: int = 200
    ) -> HttpResponse:
        reviews = Review.objects.published().filter(mechanic=listing)
        page = Paginator(reviews.order_by("-created_at", "-id"), self.paginate_by).get_page(request.GET.get("page"))
        for review in page:
            bound = failed is not None and failed[0] == review.pk
            review.form = failed[1] if bound else ReplyForm(instance=review, auto_id=_reply_id(review))
        return render(request, self.template_name, {"listing": listing, "page": page}, status=status)


class ClaimView(MechanicPagesMixin, View):
    """A mechanic finds their garage in the directory and asks to manage it; staff decide in the admin."""

    template_name = "directory/claim.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, ClaimSearchForm(request.GET or None))

    def post(self, request: HttpRequest) -> HttpResponse:
        listing = get_object_or_404(Mechanic.objects.all(), pk=_uuid_or_404(request.POST.get("listing", "")))
        form = ClaimForm(request.POST)
        if form.is_valid():
            try:
                claim_request(
                    mechanic=listing, user=request.user, message=form.cleaned_data["message"], request=request
                )
            except ConflictError as exc:
                messages.error(request, exc.message)
                return redirect("directory:claim")
            messages.success(request, f"Thank you: our staff will check your claim of {listing.business_name}.")
            return redirect("directory:claim")
        return self._render(request, ClaimSearchForm(), failed=(listing.pk, form), status=400)

    def _render(
        self,
        request: HttpRequest,
        search: ClaimSearchForm,
        failed: tuple[Any, ClaimForm] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        if request.user.role != Role.MECHANIC:
            raise PermissionDenied("Only mechanic accounts can claim a listing.")
        results: list[Mechanic] = []
        if search.is_bound and search.is_valid() and (text := search.cleaned_data["q"]):
            results = list(search_listings(Mechanic.objects.with_managed_flag(), text).order_by("business_name")[:20])
        elif failed is not None:
            results = list(Mechanic.objects.with_managed_flag().filter(pk=failed[0]))
        for listing in results:
            bound = failed is not None and failed[0] == listing.pk
            listing.claim_form = failed[1] if bound else ClaimForm(auto_id=f"id_claim_{listing.pk}_%s")
        claims = ListingClaim.objects.visible_to(request.user).filter(user=request.user).select_related("mechanic")
        context = {"search": search, "results": results, "claims": claims}
        return render(request, self.template_name, context, status=status)


def _reply_id(review: Review) -> str:
    # One reply form per review on the page: each needs its own element ids.
    return f"id_reply_{review.pk}_%s"


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("No such item.") from None
