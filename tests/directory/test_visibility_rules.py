"""Who sees which review and who may edit which listing: the branches the mutation run found untested."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from model_bakery import baker

from accounts.models import Role, User
from directory.models import Mechanic, Review
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing() -> Mechanic:
    return baker.make(Mechanic, latitude=3.8, longitude=11.5)


def test_a_driver_sees_published_reviews_and_their_own_hidden_one_only(
    driver: User, other_driver: User, listing: Mechanic
) -> None:
    published = baker.make(Review, user=other_driver, mechanic=listing, rating=4)
    my_hidden = baker.make(Review, user=driver, mechanic=listing, rating=1, is_hidden=True)
    baker.make(
        Review, user=other_driver, mechanic=baker.make(Mechanic, latitude=1, longitude=1), rating=1, is_hidden=True
    )

    assert set(Review.objects.visible_to(driver)) == {published, my_hidden}


def test_staff_with_the_directory_wide_permission_may_edit_any_listing_without_being_superusers(
    listing: Mechanic,
) -> None:
    editor = make_user("directory.editor@example.com", role=Role.ADMINISTRATOR, is_staff=True)
    plain = make_user("plain.staff@example.com", role=Role.ADMINISTRATOR, is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="change_mechanic", content_type__app_label="directory"))
    editor = User.objects.get(pk=editor.pk)  # permissions are cached per instance

    assert listing.is_editable_by(editor)
    assert not listing.is_editable_by(plain)
    assert set(Mechanic.objects.editable_by(editor)) == {listing}
    assert not Mechanic.objects.editable_by(plain).exists()
