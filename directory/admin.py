from __future__ import annotations

import calendar
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.models import Role
from cardoc.widgets import WeeklyHoursField
from directory.models import MAX_SPANS_PER_DAY, WEEKDAYS, Mechanic, MechanicService, Review, Service
from directory.services import mechanic_set_owners


class MechanicServiceInline(admin.TabularInline):
    model = MechanicService
    extra = 0
    autocomplete_fields = ["service"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "cost_min", "cost_max", "currency"]
    list_filter = ["category", "currency"]
    search_fields = ["name", "description"]


class MechanicAdminForm(forms.ModelForm):
    # A week of HH:MM inputs instead of the raw JSON; the model's validator still checks order and overlaps.
    working_hours = WeeklyHoursField(
        days=[(day, calendar.day_name[index]) for index, day in enumerate(WEEKDAYS)],
        spans=MAX_SPANS_PER_DAY,
        help_text="Opening hours in the city's time zone.",
    )

    class Meta:
        model = Mechanic
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin decides which fields the page shows)

    def clean_owners(self) -> Any:
        owners = self.cleaned_data["owners"]
        refused = [owner.email for owner in owners if owner.role != Role.MECHANIC]
        if refused:
            raise forms.ValidationError(f"Only mechanic accounts can own a listing: {', '.join(refused)}.")
        return owners


@admin.register(Mechanic)
class MechanicAdmin(admin.ModelAdmin):
    form = MechanicAdminForm
    list_display = ["business_name", "address", "rating", "rating_count", "verified", "is_demo"]
    list_filter = ["verified", "is_demo"]
    search_fields = ["business_name", "address", "email", "phone"]
    autocomplete_fields = ["owners"]
    readonly_fields = ["rating", "rating_count", "created_at", "updated_at"]
    inlines = [MechanicServiceInline]

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Owners are who may edit the listing on the web: the service keeps the object permissions in step.
        mechanic_set_owners(
            mechanic=form.instance, owners=form.cleaned_data["owners"], actor=request.user, request=request
        )


@admin.register(MechanicService)
class MechanicServiceAdmin(admin.ModelAdmin):
    list_display = ["mechanic", "service", "price"]
    list_filter = ["service__category"]
    search_fields = ["mechanic__business_name", "service__name"]
    autocomplete_fields = ["mechanic", "service"]
    list_select_related = ["mechanic", "service"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["mechanic", "user", "rating", "updated_at"]
    list_filter = ["rating"]
    search_fields = ["mechanic__business_name", "user__email", "comment"]
    autocomplete_fields = ["mechanic", "user"]
    list_select_related = ["mechanic", "user"]
