"""Console-wide rule: in every changelist, no two filters in the sidebar read the same."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.models import User

pytestmark = pytest.mark.django_db

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=[m._meta.label for m, _ in MODEL_ADMINS])
def test_no_two_filters_share_a_name(model: type, model_admin: admin.ModelAdmin, staff: User) -> None:
    request = RequestFactory().get("/admin/")
    request.user = staff
    changelist = model_admin.get_changelist_instance(request)
    titles = [str(spec.title).lower() for spec in changelist.filter_specs]
    assert len(titles) == len(set(titles)), titles
