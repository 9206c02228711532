from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.models import User, UserProfile, Vehicle


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
