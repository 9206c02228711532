"""GET /api/v1/settings: the app settings staff marked public, typed, with an ETag for cheap polling."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AppSetting

pytestmark = pytest.mark.django_db

URL = "/api/v1/settings"


def test_anonymous_callers_get_401(api_client: APIClient) -> None:
    assert api_client.get(URL).status_code == HTTPStatus.UNAUTHORIZED


def test_it_lists_only_public_settings_with_their_types(driver: User, client_for: Callable[[User], APIClient]) -> None:
    baker.make(
        AppSetting,
        key="maintenance-banner",
        value="Back at 6",
        data_type="string",
        category="notifications",
        is_public=True,
    )
    baker.make(
        AppSetting, key="beta-features", value={"offline": True}, data_type="json", category="ml_models", is_public=True
    )
    baker.make(
        AppSetting, key="secret-threshold", value=3, data_type="integer", category="authentication", is_public=False
    )

    response = client_for(driver).get(URL)

    assert response.status_code == HTTPStatus.OK
    rows = {row["key"]: (row["value"], row["data_type"]) for row in response.json()}
    assert rows["maintenance-banner"] == ("Back at 6", "string")
    assert rows["beta-features"] == ({"offline": True}, "json")
    assert rows["offline_capture_max_age_days"] == (30, "integer")  # the one the server itself obeys
    assert "secret-threshold" not in rows


def test_polling_with_the_etag_is_a_304_until_a_setting_changes(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    tag = client.get(URL)["ETag"]

    unchanged = client.get(URL, HTTP_IF_NONE_MATCH=tag)
    AppSetting.objects.filter(key="offline_capture_max_age_days").update(value=45)
    changed = client.get(URL, HTTP_IF_NONE_MATCH=tag)

    assert unchanged.status_code == HTTPStatus.NOT_MODIFIED
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != tag
    assert {row["key"]: row["value"] for row in changed.json()}["offline_capture_max_age_days"] == 45
