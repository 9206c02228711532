"""The garages' side of quote requests, on the mechanics' web pages (/mechanics/quotes/).

These pages live here, with the model, because a quote request points at a diagnosis and the directory
app sits below diagnostics; the listing permissions come from the directory's pages mixin.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from cardoc import rls
from cardoc.exceptions import ConflictError
from cardoc.sniff import sniff_file
from directory.views import MechanicPagesMixin
from maintenance.forms import QuoteAnswerForm
from maintenance.models import QuoteRequest, QuoteStatus
from maintenance.services import quote_answer


class GarageQuotesMixin(MechanicPagesMixin):
    def garage_quotes(self) -> QuerySet[QuoteRequest]:
        return QuoteRequest.objects.for_garage(self.request.user).select_related("mechanic")


class QuoteListView(GarageQuotesMixin, View):
    template_name = "maintenance/quote_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        quotes = self.garage_quotes().order_by("status", "-created_at")
        listing = request.GET.get("listing")
        if listing:
            quotes = quotes.filter(mechanic__pk=listing) if _is_uuid(listing) else quotes.none()
        return render(request, self.template_name, {"quotes": quotes[:200]})


class QuoteDetailView(GarageQuotesMixin, View):
    """One request: the finding, the vehicle, the photo if the driver agreed; the answer form while pending."""

    template_name = "maintenance/quote_detail.html"

    def get(self, request: HttpRequest, pk: str) -> HttpResponse:
        quote = get_object_or_404(self.garage_quotes(), pk=pk)
        return self._render(request, quote, QuoteAnswerForm(currency=quote.mechanic.currency))

    def post(self, request: HttpRequest, pk: str) -> HttpResponse:
        quote = get_object_or_404(self.garage_quotes(), pk=pk)
        form = QuoteAnswerForm(request.POST, currency=quote.mechanic.currency)
        if form.is_valid():
            decline = "decline" in request.POST
            try:
                quote_answer(
                    quote=quote,
                    user=request.user,
                    price=form.cleaned_data["price"],
                    available_on=form.cleaned_data["available_on"],
                    message=form.cleaned_data["message"],
                    decline=decline,
                    request=request,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except ConflictError as exc:
                messages.error(request, exc.message)
                return redirect("maintenance:quote-detail", pk=quote.pk)
            else:
                messages.success(request, "Your answer has been sent to the driver.")
                return redirect("maintenance:quote-detail", pk=quote.pk)
        return self._render(request, quote, form, status=400)

    def _render(self, request: HttpRequest, quote: QuoteRequest, form: QuoteAnswerForm, status: int = 200) -> Any:
        context = {"quote": quote, "form": form, "pending": quote.status == QuoteStatus.PENDING}
        return render(request, self.template_name, context, status=status)


class QuotePhotoView(GarageQuotesMixin, View):
    """The diagnosis photo, for the garage, only when the driver chose to share it."""

    def get(self, request: HttpRequest, pk: str) -> FileResponse:
        # The garage's own requests only; the bypass lets it read the driver's diagnosis row for the photo
        # the driver chose to share (row-level security would hide that row from the garage).
        with rls.bypass(reason="quote_photo"):
            quote = get_object_or_404(self.garage_quotes().select_related("diagnostic"), pk=pk, share_photo=True)
        image = quote.diagnostic.image
        if not image:
            raise Http404("No photo.")
        try:
            handle = image.storage.open(image.name, "rb")
        except FileNotFoundError as exc:
            raise Http404("This photo is no longer available.") from exc
        sniffed = sniff_file(handle)
        response = FileResponse(handle, content_type=sniffed.content_type if sniffed else "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
