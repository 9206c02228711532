"""Forms for the mechanics' listing pages: details, weekly hours and priced services."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.forms import BaseFormSet, BaseInlineFormSet, formset_factory, inlineformset_factory

from directory.models import MAX_SPANS_PER_DAY, WEEKDAYS, Mechanic, MechanicService, Service

DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
phone_validator = RegexValidator(r"^\+?[0-9 ()-]{6,31}$", "Enter a phone number such as +237 6 12 34 56 78.")


class ListingForm(forms.ModelForm):
    """What an owner may change about their listing; rating, verification and owners stay with staff."""

    phone = forms.CharField(max_length=32, required=False, validators=[phone_validator])

    class Meta:
        model = Mechanic
        fields = ["business_name", "certification", "phone", "email", "website", "address", "latitude", "longitude"]
        widgets = {
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": forms.NumberInput(attrs={"step": "any"}),
        }
        help_texts = {
            "latitude": "Decimal degrees, e.g. 3.8480 (north is positive).",
            "longitude": "Decimal degrees, e.g. 11.5021 (east is positive).",
            "certification": "e.g. a trade certificate or a brand approval.",
        }


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class DayHoursForm(forms.Form):
    """One weekday: closed, open once, or split in two spans (closed for lunch)."""

    closed = forms.BooleanField(required=False)
    opens = _time_field("Opens")
    closes = _time_field("Closes")
    opens_again = _time_field("Opens again")
    closes_again = _time_field("Closes again")

    def __init__(self, *args: Any, day: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.day = day
        self.day_name = DAY_NAMES[day]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("closed") or self.errors:
            return data
        opens, closes = data.get("opens"), data.get("closes")
        again, closes_again = data.get("opens_again"), data.get("closes_again")
        if opens is None:
            self.add_error("opens", "Give the opening time, or tick Closed.")
        if closes is None:
            self.add_error("closes", "Give the closing time, or tick Closed.")
        if opens is not None and closes is not None and opens >= closes:
            self.add_error("closes", "Closing time must be after opening time.")
        if (again is None) != (closes_again is None):
            field = "closes_again" if again is not None else "opens_again"
            self.add_error(field, "Give both times of the second span, or neither.")
        elif again is not None and closes_again is not None:
            if closes is not None and again <= closes:
                self.add_error("opens_again", "The second span must start after the first one closes.")
            if again >= closes_again:
                self.add_error("closes_again", "Closing time must be after opening time.")
        return data

    def spans(self) -> list[list[str]]:
        """This day's opening spans as stored in ``Mechanic.working_hours``."""
        data = self.cleaned_data
        if data.get("closed"):
            return []
        pairs = [(data.get("opens"), data.get("closes")), (data.get("opens_again"), data.get("closes_again"))]
        return [[_hhmm(a), _hhmm(b)] for a, b in pairs[:MAX_SPANS_PER_DAY] if a is not None and b is not None]


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


class BaseWeekFormSet(BaseFormSet):
    """Seven rows, Monday to Sunday."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        kwargs["day"] = WEEKDAYS[index or 0]
        return kwargs

    def working_hours(self) -> dict[str, list[list[str]]]:
        return {form.day: form.spans() for form in self.forms}


WeekFormSet = formset_factory(
    DayHoursForm, formset=BaseWeekFormSet, extra=0, min_num=7, max_num=7, validate_min=True, validate_max=True
)


def week_initial(working_hours: dict[str, list[list[str]]]) -> list[dict[str, Any]]:
    """The formset's initial rows for the stored ``working_hours``."""
    rows = []
    for day in WEEKDAYS:
        spans = (working_hours or {}).get(day) or []
        row: dict[str, Any] = {"closed": not spans}
        for (opens_key, closes_key), span in zip(
            (("opens", "closes"), ("opens_again", "closes_again")), spans, strict=False
        ):
            row[opens_key], row[closes_key] = span
        rows.append(row)
    return rows


class OfferingForm(forms.ModelForm):
    class Meta:
        model = MechanicService
        fields = ["service", "price"]
        help_texts = {"price": "In the service's currency; leave empty for “ask us”."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.order_by("name")


class BaseOfferingFormSet(BaseInlineFormSet):
    def offerings(self) -> dict[Service, Decimal | None]:
        """The services to offer after this edit, with their prices (rows marked for removal left out)."""
        wanted: dict[Service, Decimal | None] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("service") and not data.get("DELETE"):
                wanted[data["service"]] = data.get("price")
        return wanted


OfferingFormSet = inlineformset_factory(
    Mechanic, MechanicService, form=OfferingForm, formset=BaseOfferingFormSet, extra=2, can_delete=True
)
