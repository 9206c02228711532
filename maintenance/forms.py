"""Forms of the garages' quote pages."""

from __future__ import annotations

from typing import Any

from django import forms


class QuoteAnswerForm(forms.Form):
    """A garage's answer to a quote request: a price and a day, or a polite no."""

    price = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, required=False)
    available_on = forms.DateField(
        label="Day you can do the job",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    message = forms.CharField(
        label="Message to the driver", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["price"].label = f"Price ({currency})"
        self.fields["price"].help_text = f"Your price for the whole job, in {currency}."
