from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import RevokedAccessToken, User, UserProfile, Vehicle
from accounts.services import user_access_changed


class CardocUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role")


class CardocUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False


class VehicleInline(admin.TabularInline):
    model = Vehicle
    extra = 0
    fields = ["nickname", "make", "model", "year", "vin", "fuel_type", "odometer_km"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = CardocUserChangeForm
    add_form = CardocUserCreationForm
    list_display = ["email", "role", "status", "is_staff", "date_joined", "last_login"]
    list_filter = ["role", "status", "is_staff", "is_superuser"]
    search_fields = ["email", "profile__full_name"]
    ordering = ["email"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [UserProfileInline, VehicleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Access", {"fields": ("role", "status", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)

    # Only a superuser may grant what makes a superuser: change_user alone must not escalate itself.
    PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [name for name in self.PRIVILEGE_FIELDS if name not in fields]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # A superuser's email or password in other hands is the whole system.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)
        super().delete_queryset(request, queryset)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        old = User.objects.filter(pk=obj.pk).values("role", "status").first() if change else None
        super().save_model(request, obj, form, change)
        if old is not None:
            user_access_changed(user=obj, old_role=old["role"], old_status=old["status"], request=request)


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "full_name", "phone", "units", "locale", "timezone"]
    list_filter = ["units", "locale"]
    search_fields = ["user__email", "full_name", "phone"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "make", "model", "year", "fuel_type", "odometer_km"]
    list_filter = ["fuel_type", "make"]
    search_fields = ["make", "model", "vin", "nickname", "user__email"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


@admin.register(RevokedAccessToken)
class RevokedAccessTokenAdmin(admin.ModelAdmin):
    """Signed-out access tokens still within their lifetime; evidence, so read-only."""

    list_display = ["jti", "user", "expires_at"]
    search_fields = ["jti", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RevokedAccessToken | None = None) -> bool:
        return False
