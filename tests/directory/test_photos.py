"""Garage photos: uploaded by the owner on their pages, checked like any upload, thumbnailed on the worker,
served publicly, at most ten per listing."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from directory.models import MAX_PHOTOS_PER_LISTING, GaragePhoto, Mechanic
from directory.services import photo_add
from tests.diagnostics.media_factory import image_bytes, wav_bytes

pytestmark = pytest.mark.django_db


def photos_url(listing: Mechanic) -> str:
    return f"/mechanics/listings/{listing.pk}/photos/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(name: str = "front.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes((1600, 1200), fmt="JPEG") if data is None else data)


def test_an_owner_uploads_a_photo_that_gets_a_thumbnail_and_is_public(
    mechanic: User,
    listing: Mechanic,
    media_root: Path,
    tasks_sync: None,
    client_for: Callable[[User], APIClient],
    driver: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(mechanic).post(photos_url(listing), {"image": upload(), "caption": "The workshop"})

    assert response.status_code == HTTPStatus.FOUND
    photo = GaragePhoto.objects.get(mechanic=listing)
    assert (photo.width, photo.height, photo.caption, photo.uploaded_by) == (1600, 1200, "The workshop", mechanic)
    assert photo.image.name == f"garages/{listing.pk}/{photo.pk}.jpg"  # never the uploader's file name
    assert photo.thumbnail.name
    with Image.open(media_root / photo.thumbnail.name) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.width <= 480
        assert thumbnail.height <= 360

    body = client_for(driver).get(f"/api/v1/mechanics/{listing.pk}").json()
    assert body["photos"][0]["caption"] == "The workshop"
    assert body["photos"][0]["url"].endswith(photo.image.url)
    # Served to anyone, signed in or not: a garage's photos are not private.
    for url in (photo.image.url, photo.thumbnail.url):
        served = Client().get(url)
        assert served.status_code == HTTPStatus.OK
        assert b"".join(served.streaming_content)[:3] == b"\xff\xd8\xff"


def test_the_thumbnail_is_null_until_the_worker_has_made_it(
    mechanic: User, listing: Mechanic, media_root: Path, client_for: Callable[[User], APIClient], driver: User
) -> None:
    photo_add(mechanic=listing, user=mechanic, image=upload())  # no worker ran: the task is only queued
    body = client_for(driver).get(f"/api/v1/mechanics/{listing.pk}").json()
    assert body["photos"][0]["thumbnail_url"] is None
    assert "Thumbnail on its way" in signed_in(mechanic).get(photos_url(listing)).content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("engine.jpg", wav_bytes(), "must be a JPEG, PNG or WebP"),
        ("notes.png", b"not an image at all", "must be a JPEG, PNG or WebP"),
        ("cut.png", image_bytes((64, 64))[:60], "damaged"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused(
    mechanic: User, listing: Mechanic, media_root: Path, name: str, data: bytes, message: str
) -> None:
    response = signed_in(mechanic).post(photos_url(listing), {"image": upload(name, data)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not GaragePhoto.objects.exists()
    assert not (media_root / "garages").exists() or not any((media_root / "garages").rglob("*.*"))


def test_a_decompression_bomb_is_refused_before_decoding(mechanic: User, listing: Mechanic, media_root: Path) -> None:
    buffer = BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, format="PNG")  # 81 megapixels in a few kilobytes
    response = signed_in(mechanic).post(photos_url(listing), {"image": upload("bomb.png", buffer.getvalue())})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "megapixels" in response.content.decode()
    assert not GaragePhoto.objects.exists()


def test_a_listing_has_at_most_ten_photos(mechanic: User, listing: Mechanic, media_root: Path) -> None:
    small = image_bytes((40, 30), fmt="PNG")
    for index in range(MAX_PHOTOS_PER_LISTING):
        photo_add(mechanic=listing, user=mechanic, image=upload(f"{index}.png", small))
    response = signed_in(mechanic).post(photos_url(listing), {"image": upload("eleven.png", small)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 10 photos" in response.content.decode()
    assert GaragePhoto.objects.filter(mechanic=listing).count() == MAX_PHOTOS_PER_LISTING


def test_an_owner_removes_a_photo_and_its_files(
    mechanic: User, listing: Mechanic, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    photo = photo_add(mechanic=listing, user=mechanic, image=upload())
    stored = media_root / photo.image.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(mechanic).post(photos_url(listing), {"remove": str(photo.pk)})
    assert response.status_code == HTTPStatus.FOUND
    assert not GaragePhoto.objects.exists()
    assert not stored.exists()


@pytest.mark.parametrize(("who", "expected"), [("other_mechanic", 404), ("driver", 403), ("anonymous", 302)])
def test_only_the_owner_manages_the_photos(
    request: pytest.FixtureRequest, listing: Mechanic, mechanic: User, media_root: Path, who: str, expected: int
) -> None:
    photo = photo_add(mechanic=listing, user=mechanic, image=upload())
    client = Client() if who == "anonymous" else signed_in(request.getfixturevalue(who))
    assert client.get(photos_url(listing)).status_code == expected
    assert client.post(photos_url(listing), {"remove": str(photo.pk)}).status_code == expected
    assert client.post(photos_url(listing), {"image": upload()}).status_code == expected
    assert list(GaragePhoto.objects.all()) == [photo]


def test_private_media_is_still_not_served(media_root: Path) -> None:
    assert Client().get("/media/diagnostics/images/x.png").status_code == HTTPStatus.NOT_FOUND
