"""Server-rendered pages where mechanics keep their own listings up to date."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from accounts.models import Role
from directory.forms import ListingForm, OfferingFormSet, WeekFormSet, week_initial
from directory.models import Mechanic
from directory.services import mechanic_listing_update


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
        return self.editable_listings().order_by("business_name")


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
            ),
        }

    def _render(self, request: HttpRequest, listing: Mechanic, **forms: Any) -> HttpResponse:
        return render(request, self.template_name, {"listing": listing, **forms})
