"""Forms for the mechanics' listing pages: details, weekly hours and priced services."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.forms import BaseFormSet, BaseInlineFormSet, formset_factory, inlineformset_factory

from directory.models import (
    LANGUAGE_RE,
    MAX_SPANS_PER_DAY,
    WEEKDAYS,
    GaragePhoto,
    Mechanic,
    MechanicService,
    PaymentMethod,
    Review,
    Service,
    available_time_zones,
)

DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
phone_validator = RegexValidator(r"^\+?[0-9 ()-]{6,31}$", "Enter a phone number such as +237 6 12 34 56 78.")


class LanguagesField(forms.CharField):
    """ISO 639 codes typed as ``fr, en``; stored as a list."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [code.strip().lower() for code in text.replace(";", ",").split(",") if code.strip()]

    def validate(self, value: Any) -> None:
        if any(not LANGUAGE_RE.match(code) for code in value):
            raise forms.ValidationError("Give two- or three-letter language codes, e.g. fr, en.", code="invalid")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(available_time_zones())]


class ListingForm(forms.ModelForm):
    """What an owner may change about their listing; rating, verification and owners stay with staff."""

    phone = forms.CharField(max_length=32, required=False, validators=[phone_validator])
    languages = LanguagesField(required=False, help_text="Language codes, e.g. fr, en.")
    payment_methods = forms.MultipleChoiceField(
        choices=PaymentMethod.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices, help_text="Your working hours are read in this time zone."
    )
    currency = forms.RegexField(
        regex=r"^[A-Z]{3}$",
        max_length=3,
        error_messages={"invalid": "Give a three-letter currency code, e.g. XAF."},
        help_text="Three-letter code (ISO 4217) of your prices, e.g. XAF.",
    )

    class Meta:
        model = Mechanic
        fields = [
            "business_name",
            "description",
            "certification",
            "languages",
            "payment_methods",
            "phone",
            "email",
            "website",
            "address",
            "latitude",
            "longitude",
            "time_zone",
            "currency",
        ]
        widgets = {
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": forms.NumberInput(attrs={"step": "any"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "latitude": "Decimal degrees, e.g. 3.8480 (north is positive).",
            "longitude": "Decimal degrees, e.g. 11.5021 (east is positive).",
            "certification": "e.g. a trade certificate or a brand approval.",
            "description": "What drivers should know: specialities, brands, parking.",
        }

    # The page folds the form into these sections; a section with a mistake in it opens by itself.
    SECTIONS = {
        "business": ("business_name", "description", "certification", "languages", "payment_methods"),
        "contact": ("phone", "email", "website"),
        "location": ("address", "latitude", "longitude", "time_zone"),
        "prices": ("currency",),
    }

    def sections_with_errors(self) -> set[str]:
        return {name for name, fields in self.SECTIONS.items() if any(field in self.errors for field in fields)}


def _time_field(label: str) -> forms.TimeField:
    # A text box, not <input type="time">: browsers show that one in the visitor's locale (AM/PM in the US),
    # and the page promises the 24-hour clock.
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M"],
        error_messages={"invalid": "Use the 24-hour clock, HH:MM, e.g. 08:00 or 17:30."},
        widget=forms.TimeInput(
            format="%H:%M",
            attrs={
                "placeholder": "HH:MM",
                "inputmode": "numeric",
                "pattern": "([01][0-9]|2[0-3]):[0-5][0-9]",
                "maxlength": "5",
                "autocomplete": "off",
            },
        ),
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
        # A span that closes before it opens runs past midnight; only the day's last span may do that.
        overnight = opens is not None and closes is not None and closes < opens
        if opens is not None and opens == closes:
            self.add_error("closes", "Closing time must differ from opening time.")
        if (again is None) != (closes_again is None):
            field = "closes_again" if again is not None else "opens_again"
            self.add_error(field, "Give both times of the second span, or neither.")
        elif again is not None and closes_again is not None:
            if overnight:
                self.add_error("closes", "Only the second span may run past midnight.")
            elif closes is not None and again <= closes:
                self.add_error("opens_again", "The second span must start after the first one closes.")
            if again == closes_again:
                self.add_error("closes_again", "Closing time must differ from opening time.")
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

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.order_by("name")
        self.currency = currency
        self.fields["price"].label = f"Price ({currency})"
        self.fields["price"].help_text = f"In {currency}; leave empty for “ask us”."


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


class PhotoForm(forms.ModelForm):
    """One photo to add; what the file really is, is checked by the service (``photo_add``)."""

    image = forms.FileField(
        label="Photo",
        help_text="JPEG, PNG or WebP, up to 15 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = GaragePhoto
        fields = ["image", "caption"]


class ReplyForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["reply"]
        labels = {"reply": "Your public reply"}
        widgets = {"reply": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reply"].required = True


class ClaimForm(forms.Form):
    message = forms.CharField(
        label="How can we confirm the garage is yours?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. the garage's phone number we may call, or your trade licence number.",
    )


class ClaimSearchForm(forms.Form):
    q = forms.CharField(label="Garage name or address", max_length=100, required=False)
