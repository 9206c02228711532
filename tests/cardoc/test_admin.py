"""Every model has a working admin page, and only staff may open it."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import reverse
from model_bakery import baker

from accounts.models import User
from catalog.models import WarningLight

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"cardoc", "accounts", "catalog", "tutorials", "directory", "mlops", "diagnostics", "maintenance"}
ADMIN_MODELS = [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]


def _url(model: type, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def test_every_project_model_is_registered() -> None:
    unregistered = [m.__name__ for m in ADMIN_MODELS if m not in admin.site._registry]
    assert unregistered == []


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_staff_can_open_the_changelist_and_add_page(client: Client, staff: User, model: type) -> None:
    client.force_login(staff)
    assert client.get(_url(model, "changelist")).status_code == HTTPStatus.OK
    model_admin = admin.site._registry[model]
    add_status = client.get(_url(model, "add")).status_code
    # Audit and prediction logs are evidence, so their admin has no add page at all.
    expected = HTTPStatus.OK if model_admin.has_add_permission(_request_for(staff)) else HTTPStatus.FORBIDDEN
    assert add_status == expected


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_a_driver_is_sent_to_the_admin_login(client: Client, driver: User, model: type) -> None:
    client.force_login(driver)
    response = client.get(_url(model, "changelist"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))


def test_audit_events_are_read_only_for_staff(client: Client, staff: User) -> None:
    client.force_login(staff)
    assert client.get(reverse("admin:cardoc_auditevent_add")).status_code == HTTPStatus.FORBIDDEN


def test_the_warning_light_changelist_shows_icon_previews(client: Client, staff: User) -> None:
    baker.make(WarningLight, code="abs", name="ABS", severity="moderate", colour="amber", icon="catalog/icons/abs.png")
    client.force_login(staff)
    page = client.get(_url(WarningLight, "changelist")).content.decode()
    assert '<img src="/media/catalog/icons/abs.png"' in page


def _request_for(user: User) -> HttpRequest:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request
