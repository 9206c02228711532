from __future__ import annotations

import calendar
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from accounts.models import Role
from cardoc.exceptions import ConflictError
from cardoc.widgets import WeeklyHoursField
from catalog.admin import EnglishOriginalAdmin
from catalog.models import EngineSound, WarningLight
from directory.models import (
    MAX_SPANS_PER_DAY,
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
from directory.services import (
    claim_decide,
    mechanic_set_owners,
    mechanics_refresh_services_text,
    review_delete,
    review_set_hidden,
    review_staff_save,
    service_mechanic_ids,
)


class MechanicServiceInline(admin.TabularInline):
    model = MechanicService
    extra = 0
    autocomplete_fields = ["service"]


class GaragePhotoInline(admin.TabularInline):
    model = GaragePhoto
    extra = 0
    fields = ["image", "thumbnail", "caption", "uploaded_by", "created_at"]
    readonly_fields = ["thumbnail", "uploaded_by", "created_at"]
    raw_id_fields = ["uploaded_by"]


class LightsFixedInline(admin.TabularInline):
    """On a service's page: the warning lights it fixes."""

    model = ServiceForLight
    extra = 0
    autocomplete_fields = ["warning_light"]
    verbose_name = "warning light it fixes"
    verbose_name_plural = "warning lights it fixes"


class SoundsFixedInline(admin.TabularInline):
    """On a service's page: the engine sounds it fixes."""

    model = ServiceForSound
    extra = 0
    autocomplete_fields = ["engine_sound"]
    verbose_name = "engine sound it fixes"
    verbose_name_plural = "engine sounds it fixes"


class ServicesForLightInline(admin.TabularInline):
    """On a warning light's page (the catalog's admin): the directory services that fix it."""

    model = ServiceForLight
    extra = 0
    autocomplete_fields = ["service"]
    verbose_name = "service that fixes it"
    verbose_name_plural = "services that fix it"


class ServicesForSoundInline(admin.TabularInline):
    """On an engine sound's page (the catalog's admin): the directory services that fix it."""

    model = ServiceForSound
    extra = 0
    autocomplete_fields = ["service"]
    verbose_name = "service that fixes it"
    verbose_name_plural = "services that fix it"


# Staff look for "who fixes this" on the light's or the sound's own page. The catalog sits below the
# directory and cannot name these inlines, so the directory adds them to the catalog's admin classes,
# which are registered by the time this module loads (INSTALLED_APPS order).
for _model, _inline in ((WarningLight, ServicesForLightInline), (EngineSound, ServicesForSoundInline)):
    _catalog_admin = admin.site.get_model_admin(_model)
    if _inline not in _catalog_admin.inlines:
        _catalog_admin.inlines = [*_catalog_admin.inlines, _inline]


@admin.register(Service)
class ServiceAdmin(EnglishOriginalAdmin):
    """Staff edit the English and French name and description side by side (directory.translation)."""

    list_display = ["name", "category", "cost_min", "cost_max", "currency"]
    list_filter = ["category", "currency"]
    search_fields = ["name", "description"]
    inlines = [LightsFixedInline, SoundsFixedInline]

    def save_model(self, request: HttpRequest, obj: Service, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name_en" in form.changed_data:
            # The listings' search text names their services.
            mechanics_refresh_services_text(mechanic_ids=service_mechanic_ids(service=obj))


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
    list_display = ["business_name", "address", "time_zone", "rating", "rating_count", "verified", "is_demo"]
    list_filter = ["verified", "is_demo", "time_zone"]
    search_fields = ["business_name", "address", "email", "phone"]
    autocomplete_fields = ["owners"]
    readonly_fields = ["rating", "rating_count", "services_text", "created_at", "updated_at"]
    inlines = [MechanicServiceInline, GaragePhotoInline]

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Owners are who may edit the listing on the web: the service keeps the object permissions in step.
        mechanic_set_owners(
            mechanic=form.instance, owners=form.cleaned_data["owners"], actor=request.user, request=request
        )
        mechanics_refresh_services_text(mechanic_ids=[form.instance.pk])


@admin.register(MechanicService)
class MechanicServiceAdmin(admin.ModelAdmin):
    list_display = ["mechanic", "service", "price"]
    list_filter = ["service__category"]
    search_fields = ["mechanic__business_name", "service__name"]
    autocomplete_fields = ["mechanic", "service"]
    list_select_related = ["mechanic", "service"]

    def save_model(self, request: HttpRequest, obj: MechanicService, form: forms.ModelForm, change: bool) -> None:
        before = MechanicService.objects.filter(pk=obj.pk).values_list("mechanic_id", flat=True).first()
        super().save_model(request, obj, form, change)
        mechanics_refresh_services_text(mechanic_ids={obj.mechanic_id, before} - {None})

    def delete_model(self, request: HttpRequest, obj: MechanicService) -> None:
        super().delete_model(request, obj)
        mechanics_refresh_services_text(mechanic_ids=[obj.mechanic_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MechanicService]) -> None:
        mechanic_ids = set(queryset.values_list("mechanic_id", flat=True))
        super().delete_queryset(request, queryset)
        mechanics_refresh_services_text(mechanic_ids=mechanic_ids)


class _ServiceFixAdmin(admin.ModelAdmin):
    """One link "this service fixes that light or sound"; staff usually edit them inline, on either side."""

    list_filter = ["service__category"]
    autocomplete_fields = ["service"]


@admin.register(ServiceForLight)
class ServiceForLightAdmin(_ServiceFixAdmin):
    list_display = ["service", "warning_light"]
    search_fields = ["service__name", "warning_light__code"]
    list_select_related = ["service", "warning_light"]


@admin.register(ServiceForSound)
class ServiceForSoundAdmin(_ServiceFixAdmin):
    list_display = ["service", "engine_sound"]
    search_fields = ["service__name", "engine_sound__code"]
    list_select_related = ["service", "engine_sound"]


class ReviewReportInline(admin.TabularInline):
    model = ReviewReport
    extra = 0
    fields = ["user", "reason", "details", "resolved", "created_at"]
    readonly_fields = ["user", "reason", "details", "created_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Staff moderate reviews here. Every save and delete goes through a service that recomputes the rating."""

    list_display = ["mechanic", "user", "rating", "verified", "is_hidden", "open_reports", "created_at"]
    list_filter = ["is_hidden", "rating"]
    search_fields = ["mechanic__business_name", "user__email", "comment"]
    autocomplete_fields = ["mechanic", "user"]
    list_select_related = ["mechanic", "user"]
    readonly_fields = ["visit_id", "helpful_count", "replied_at", "replied_by", "created_at", "updated_at"]
    fields = [
        "mechanic",
        "user",
        "rating",
        "comment",
        "is_hidden",
        "hidden_reason",
        "reply",
        *readonly_fields,
    ]
    inlines = [ReviewReportInline]
    actions = ["hide_reviews", "show_reviews"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return (
            super()
            .get_queryset(request)
            .annotate(open_report_count=Count("reports", filter=Q(reports__resolved=False)))
        )

    @admin.display(boolean=True, description="Verified visit")
    def verified(self, review: Review) -> bool:
        return review.verified_visit

    @admin.display(description="Open reports", ordering="open_report_count")
    def open_reports(self, review: Review) -> int:
        return review.open_report_count

    def save_model(self, request: HttpRequest, obj: Review, form: forms.ModelForm, change: bool) -> None:
        review_staff_save(review=obj, actor=request.user, request=request)

    def delete_model(self, request: HttpRequest, obj: Review) -> None:
        review_delete(review=obj, actor=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        for review in queryset:
            review_delete(review=review, actor=request.user, request=request)

    @admin.action(description="Hide the selected reviews (they leave the rating)")
    def hide_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        for review in queryset:
            review_set_hidden(review=review, actor=request.user, hidden=True, reason="Hidden by staff", request=request)
        self.message_user(request, f"{len(queryset)} review(s) hidden; the ratings are recomputed.")

    @admin.action(description="Publish the selected reviews again")
    def show_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        for review in queryset:
            review_set_hidden(review=review, actor=request.user, hidden=False, request=request)
        self.message_user(request, f"{len(queryset)} review(s) published; the ratings are recomputed.")


@admin.register(ReviewReport)
class ReviewReportAdmin(admin.ModelAdmin):
    list_display = ["review", "user", "reason", "resolved", "created_at"]
    list_filter = ["resolved", "reason"]
    search_fields = ["review__comment", "review__mechanic__business_name", "user__email"]
    raw_id_fields = ["review", "user"]
    list_select_related = ["review__mechanic", "user"]
    readonly_fields = ["review", "user", "reason", "details", "created_at"]


@admin.register(ListingClaim)
class ListingClaimAdmin(admin.ModelAdmin):
    """Approving a claim makes the mechanic an owner (with the object permission) and is audited."""

    list_display = ["mechanic", "user", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["mechanic__business_name", "user__email", "message"]
    list_select_related = ["mechanic", "user", "decided_by"]
    readonly_fields = ["mechanic", "user", "message", "status", "decided_by", "decided_at", "created_at"]
    actions = ["approve_claims", "reject_claims"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # mechanics claim on their pages

    @admin.action(description="Approve the selected claims (grants the listing to the mechanic)")
    def approve_claims(self, request: HttpRequest, queryset: QuerySet[ListingClaim]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject the selected claims")
    def reject_claims(self, request: HttpRequest, queryset: QuerySet[ListingClaim]) -> None:
        self._decide(request, queryset, approve=False)

    def _decide(self, request: HttpRequest, queryset: QuerySet[ListingClaim], *, approve: bool) -> None:
        done = 0
        for claim in queryset:
            try:
                claim_decide(claim=claim, actor=request.user, approve=approve, request=request)
            except ConflictError as exc:
                self.message_user(request, f"{claim}: {exc.message}", level=messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"{done} claim(s) {'approved' if approve else 'rejected'}.")


@admin.register(GaragePhoto)
class GaragePhotoAdmin(admin.ModelAdmin):
    list_display = ["mechanic", "caption", "width", "height", "created_at"]
    search_fields = ["mechanic__business_name", "caption"]
    list_select_related = ["mechanic"]
    raw_id_fields = ["mechanic", "uploaded_by"]
    readonly_fields = ["width", "height", "thumbnail", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # owners upload on their pages, where the file is checked


@admin.register(ReviewVote)
class ReviewVoteAdmin(admin.ModelAdmin):
    list_display = ["review", "user", "created_at"]
    search_fields = ["review__mechanic__business_name", "user__email"]
    raw_id_fields = ["review", "user"]
    list_select_related = ["review__mechanic", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
