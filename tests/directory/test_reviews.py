"""Reviews drivers can read: pages, order, histogram, edits, one per visit, replies, votes, reports, hiding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from directory.models import Mechanic, Review, ReviewReport
from directory.services import review_submit
from maintenance.models import MaintenanceRecord
from tests.conftest import RLS_QUERIES, make_user

pytestmark = pytest.mark.django_db

MECHANICS = "/api/v1/mechanics"


def reviews_url(mechanic: Mechanic) -> str:
    return f"{MECHANICS}/{mechanic.pk}/reviews"


def review_url(review: Review) -> str:
    return f"/api/v1/reviews/{review.pk}"


def rate(user: User, mechanic: Mechanic, rating: int, comment: str = "", **kwargs: Any) -> Review:
    review, _ = review_submit(user=user, mechanic=mechanic, rating=rating, comment=comment, **kwargs)
    return review


def completed_visit(user: User, garage: Mechanic, **fields: Any) -> MaintenanceRecord:
    values = {
        "maintenance_type": "corrective",
        "title": "Water pump",
        "scheduled_date": date(2026, 11, 2),
        "completed_date": date(2026, 11, 3),
        "reminder_status": "completed",
    }
    return baker.make(MaintenanceRecord, user=user, garage=garage, **(values | fields))


@pytest.fixture
def api(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


# --------------------------------------------------------------------------- reading


def test_anyone_signed_in_reads_a_listings_reviews_with_the_histogram(
    api: APIClient, listing: Mechanic, other_driver: User
) -> None:
    drivers = [make_user(f"d{i}@example.com") for i in range(3)]
    for user, stars in zip([*drivers, other_driver], [5, 5, 3, 1], strict=True):
        rate(user, listing, stars, f"{stars} stars")

    body = api.get(reviews_url(listing)).json()

    assert body["count"] == 4
    assert body["histogram"] == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 2}
    assert (body["rating"], body["rating_count"]) == ("3.50", 4)
    assert [item["comment"] for item in body["results"]] == ["1 stars", "3 stars", "5 stars", "5 stars"]
    assert body["results"][0]["author"] == "Other D."  # first name and initial only
    assert body["results"][0]["reply"] is None


def test_reviews_come_in_pages(api: APIClient, listing: Mechanic) -> None:
    for index in range(3):
        rate(make_user(f"p{index}@example.com"), listing, 4)
    first = api.get(reviews_url(listing), {"page_size": 2}).json()
    assert (first["count"], len(first["results"])) == (3, 2)
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["previous"]


def test_most_helpful_first(api: APIClient, listing: Mechanic, driver: User, other_driver: User) -> None:
    useful = rate(make_user("useful@example.com"), listing, 2, "useful")
    plain = rate(make_user("plain@example.com"), listing, 4, "plain")
    assert api.post(f"{review_url(useful)}/helpful", {}).status_code == HTTPStatus.OK

    newest = [item["comment"] for item in api.get(reviews_url(listing)).json()["results"]]
    helpful = [item["comment"] for item in api.get(reviews_url(listing), {"ordering": "helpful"}).json()["results"]]

    assert newest == ["plain", "useful"]
    assert helpful == ["useful", "plain"]
    assert Review.objects.get(pk=useful.pk).helpful_count == 1
    assert Review.objects.get(pk=plain.pk).helpful_count == 0
    assert api.get(reviews_url(listing), {"ordering": "loudest"}).status_code == HTTPStatus.BAD_REQUEST


def test_a_vote_counts_once_and_can_be_taken_back(api: APIClient, listing: Mechanic, other_driver: User) -> None:
    review = rate(other_driver, listing, 4)
    api.post(f"{review_url(review)}/helpful", {})
    assert api.post(f"{review_url(review)}/helpful", {}).json()["helpful_count"] == 1
    assert api.post(f"{review_url(review)}/helpful", {"helpful": False}).json()["helpful_count"] == 0


def test_nobody_votes_for_their_own_review(api: APIClient, listing: Mechanic, driver: User) -> None:
    review = rate(driver, listing, 5)
    response = api.post(f"{review_url(review)}/helpful", {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "own_review"


def test_a_french_driver_is_told_in_french_why_a_vote_was_refused(
    api: APIClient, listing: Mechanic, driver: User
) -> None:
    review = rate(driver, listing, 5)

    # The middleware activates French on this thread; the block puts English back for the tests after this one.
    with translation.override("en"):
        response = api.post(f"{review_url(review)}/helpful", {}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("own_review", "Vous ne pouvez pas voter pour votre propre avis.")
    assert Review.objects.get(pk=review.pk).helpful_count == 0


def test_the_review_endpoints_need_a_signed_in_caller(api_client: APIClient, listing: Mechanic, driver: User) -> None:
    review = rate(driver, listing, 5)
    for method, path in [
        ("get", reviews_url(listing)),
        ("get", review_url(review)),
        ("patch", review_url(review)),
        ("delete", review_url(review)),
        ("get", "/api/v1/me/reviews"),
        ("post", f"{review_url(review)}/report"),
    ]:
        response = getattr(api_client, method)(path)
        assert response.status_code == HTTPStatus.UNAUTHORIZED, path
        assert response.json()["error"]["code"] == "not_authenticated"


# --------------------------------------------------------------------------- own reviews


def test_a_driver_edits_their_review_and_the_rating_follows(
    api: APIClient, listing: Mechanic, driver: User, other_driver: User
) -> None:
    mine = rate(driver, listing, 1, "slow")
    rate(other_driver, listing, 5)

    response = api.patch(review_url(mine), {"rating": 4, "comment": "fixed it after all"})

    assert response.status_code == HTTPStatus.OK, response.json()
    assert (response.json()["mechanic_rating"], response.json()["mechanic_rating_count"]) == ("4.50", 2)
    stored = Review.objects.get(pk=mine.pk)
    assert (stored.rating, stored.comment) == (4, "fixed it after all")
    assert Mechanic.objects.get(pk=listing.pk).rating == Decimal("4.50")


def test_a_bad_edit_is_400_and_changes_nothing(api: APIClient, listing: Mechanic, driver: User) -> None:
    mine = rate(driver, listing, 3, "ok")
    response = api.patch(review_url(mine), {"rating": 9, "comment": "changed"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "rating" in response.json()["error"]["fields"]
    assert (Review.objects.get(pk=mine.pk).rating, Review.objects.get(pk=mine.pk).comment) == (3, "ok")


def test_a_driver_deletes_their_review_and_the_rating_follows(
    api: APIClient, listing: Mechanic, driver: User, other_driver: User
) -> None:
    mine = rate(driver, listing, 1)
    rate(other_driver, listing, 5)

    assert api.delete(review_url(mine)).status_code == HTTPStatus.NO_CONTENT

    assert not Review.objects.filter(pk=mine.pk).exists()
    stored = Mechanic.objects.get(pk=listing.pk)
    assert (stored.rating, stored.rating_count) == (Decimal("5.00"), 1)
    assert AuditEvent.objects.filter(action="review", user=driver, details__deleted=True).exists()


def test_someone_elses_review_cannot_be_edited_or_deleted(
    api: APIClient, listing: Mechanic, other_driver: User
) -> None:
    theirs = rate(other_driver, listing, 2, "theirs")
    assert api.patch(review_url(theirs), {"rating": 5}).status_code == HTTPStatus.NOT_FOUND
    assert api.delete(review_url(theirs)).status_code == HTTPStatus.NOT_FOUND
    assert Review.objects.get(pk=theirs.pk).rating == 2
    # Reading it is fine: reviews are public to signed-in users.
    assert api.get(review_url(theirs)).status_code == HTTPStatus.OK


def test_my_reviews_lists_only_mine_hidden_ones_marked(
    api: APIClient, listing: Mechanic, other_listing: Mechanic, driver: User, other_driver: User, staff: User
) -> None:
    first = rate(driver, listing, 4)
    second = rate(driver, other_listing, 2)
    rate(other_driver, listing, 5)
    Review.objects.filter(pk=second.pk).update(is_hidden=True)

    body = api.get("/api/v1/me/reviews").json()

    assert {item["id"] for item in body["results"]} == {str(first.pk), str(second.pk)}
    hidden = {item["id"]: item["is_hidden"] for item in body["results"]}
    assert hidden == {str(first.pk): False, str(second.pk): True}
    assert {item["mechanic_name"] for item in body["results"]} == {"Garage Owned", "Garage Elsewhere"}


# --------------------------------------------------------------------------- one per visit


def test_a_review_of_a_completed_visit_is_verified_and_one_per_visit(
    api: APIClient, listing: Mechanic, driver: User
) -> None:
    first, second = completed_visit(driver, listing), completed_visit(driver, listing)

    plain = api.post(reviews_url(listing), {"rating": 3})
    one = api.post(reviews_url(listing), {"rating": 5, "visit": str(first.pk)})
    again = api.post(reviews_url(listing), {"rating": 4, "visit": str(first.pk)})
    two = api.post(reviews_url(listing), {"rating": 2, "visit": str(second.pk)})

    assert [r.status_code for r in (plain, one, again, two)] == [201, 201, 200, 201]
    assert (plain.json()["verified_visit"], one.json()["verified_visit"]) == (False, True)
    assert Review.objects.filter(user=driver, mechanic=listing).count() == 3
    assert Review.objects.get(visit_id=first.pk).rating == 4
    assert Mechanic.objects.get(pk=listing.pk).rating_count == 3


@pytest.mark.parametrize("problem", ["open job", "other garage", "other driver", "no such record"])
def test_a_visit_must_be_your_completed_job_at_that_garage(
    api: APIClient, listing: Mechanic, other_listing: Mechanic, driver: User, other_driver: User, problem: str
) -> None:
    visit = {
        "open job": lambda: completed_visit(driver, listing, completed_date=None, reminder_status="pending"),
        "other garage": lambda: completed_visit(driver, other_listing),
        "other driver": lambda: completed_visit(other_driver, listing),
        "no such record": lambda: baker.prepare(MaintenanceRecord),
    }[problem]()

    response = api.post(reviews_url(listing), {"rating": 5, "visit": str(visit.pk)})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "visit" in response.json()["error"]["fields"]
    assert not Review.objects.exists()


# --------------------------------------------------------------------------- replies, reports, hiding


def test_the_owner_replies_on_their_pages_and_the_reply_shows_in_the_api(
    api: APIClient, listing: Mechanic, mechanic: User, driver: User
) -> None:
    review = rate(driver, listing, 2, "too slow")
    page = Client()
    page.force_login(mechanic)
    reviews_page = f"/mechanics/listings/{listing.pk}/reviews/"
    assert "too slow" in page.get(reviews_page).content.decode()

    response = page.post(reviews_page, {"review": str(review.pk), "reply": "Sorry, a part was late."})

    assert response.status_code == HTTPStatus.FOUND
    reply = api.get(reviews_url(listing)).json()["results"][0]["reply"]
    assert reply["text"] == "Sorry, a part was late."
    # Still one reply: publishing again rewords it.
    page.post(reviews_page, {"review": str(review.pk), "reply": "Sorry, the part came late."})
    assert api.get(review_url(review)).json()["reply"]["text"] == "Sorry, the part came late."
    assert Review.objects.get(pk=review.pk).replied_by == mechanic


@pytest.mark.parametrize(("who", "expected"), [("other_mechanic", 404), ("driver", 403), ("anonymous", 302)])
def test_only_the_owner_may_reply(
    request: pytest.FixtureRequest, listing: Mechanic, other_driver: User, who: str, expected: int
) -> None:
    review = rate(other_driver, listing, 2)
    page = Client()
    if who != "anonymous":
        page.force_login(request.getfixturevalue(who))
    response = page.post(f"/mechanics/listings/{listing.pk}/reviews/", {"review": str(review.pk), "reply": "Hi"})
    assert response.status_code == expected
    assert Review.objects.get(pk=review.pk).reply == ""


def test_an_empty_reply_is_refused_next_to_its_field(listing: Mechanic, mechanic: User, driver: User) -> None:
    review = rate(driver, listing, 2)
    page = Client()
    page.force_login(mechanic)
    response = page.post(f"/mechanics/listings/{listing.pk}/reviews/", {"review": str(review.pk), "reply": " "})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f'id="id_reply_{review.pk}_reply_errors"' in response.content.decode()


def test_a_review_is_reported_once(api: APIClient, listing: Mechanic, other_driver: User, driver: User) -> None:
    review = rate(other_driver, listing, 1, "buy cheap watches")
    first = api.post(f"{review_url(review)}/report", {"reason": "spam"})
    second = api.post(f"{review_url(review)}/report", {"reason": "fake"})
    bad = api.post(f"{review_url(rate(make_user('x@example.com'), listing, 3))}/report", {"reason": "boring"})

    assert first.status_code == HTTPStatus.CREATED
    assert second.status_code == HTTPStatus.CONFLICT
    assert second.json()["error"]["code"] == "already_reported"
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert list(ReviewReport.objects.values_list("reason", flat=True)) == ["spam"]


def test_staff_hide_a_review_in_the_admin_and_it_leaves_the_rating(
    api: APIClient,
    client_for: Callable[[User], APIClient],
    listing: Mechanic,
    staff: User,
    other_driver: User,
    driver: User,
) -> None:
    abusive = rate(other_driver, listing, 1, "abuse")
    rate(driver, listing, 5, "fine")
    ReviewReport.objects.create(review=abusive, user=driver, reason="offensive")
    admin = Client()
    admin.force_login(staff)

    response = admin.post("/admin/directory/review/", {"action": "hide_reviews", "_selected_action": [str(abusive.pk)]})

    assert response.status_code == HTTPStatus.FOUND
    assert Review.objects.get(pk=abusive.pk).is_hidden
    assert ReviewReport.objects.get().resolved
    stored = Mechanic.objects.get(pk=listing.pk)
    assert (stored.rating, stored.rating_count) == (Decimal("5.00"), 1)
    body = api.get(reviews_url(listing)).json()
    assert [item["comment"] for item in body["results"]] == ["fine"]
    assert body["histogram"]["1"] == 0
    assert api.get(review_url(abusive)).status_code == HTTPStatus.NOT_FOUND
    # Its author still sees it among theirs, marked hidden.
    assert client_for(other_driver).get("/api/v1/me/reviews").json()["results"][0]["is_hidden"] is True
    assert AuditEvent.objects.filter(action="review", user=staff, details__hidden=True).exists()


def test_editing_a_review_in_the_admin_recomputes_the_rating(
    listing: Mechanic, staff: User, other_driver: User
) -> None:
    review = rate(other_driver, listing, 1)
    admin = Client()
    admin.force_login(staff)
    url = f"/admin/directory/review/{review.pk}/change/"
    form = {
        "mechanic": str(listing.pk),
        "user": str(other_driver.pk),
        "rating": "4",
        "comment": "",
        "hidden_reason": "",
        "reply": "",
        "reports-TOTAL_FORMS": "0",
        "reports-INITIAL_FORMS": "0",
        "reports-MIN_NUM_FORMS": "0",
        "reports-MAX_NUM_FORMS": "1000",
    }
    response = admin.post(url, form)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    assert Mechanic.objects.get(pk=listing.pk).rating == Decimal("4.00")


def test_moving_a_review_to_another_listing_in_the_admin_recomputes_both(
    listing: Mechanic, other_listing: Mechanic, staff: User, other_driver: User
) -> None:
    review = rate(other_driver, listing, 2)
    admin = Client()
    admin.force_login(staff)
    form = {
        "mechanic": str(other_listing.pk),
        "user": str(other_driver.pk),
        "rating": "2",
        "comment": "",
        "hidden_reason": "",
        "reply": "",
        "reports-TOTAL_FORMS": "0",
        "reports-INITIAL_FORMS": "0",
        "reports-MIN_NUM_FORMS": "0",
        "reports-MAX_NUM_FORMS": "1000",
    }
    assert admin.post(f"/admin/directory/review/{review.pk}/change/", form).status_code == HTTPStatus.FOUND
    assert Mechanic.objects.get(pk=listing.pk).rating_count == 0
    assert Mechanic.objects.get(pk=other_listing.pk).rating == Decimal("2.00")


def test_deleting_a_review_in_the_admin_recomputes_the_rating(
    listing: Mechanic, staff: User, driver: User, other_driver: User
) -> None:
    bad = rate(other_driver, listing, 1)
    rate(driver, listing, 5)
    admin = Client()
    admin.force_login(staff)
    response = admin.post(f"/admin/directory/review/{bad.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    assert Mechanic.objects.get(pk=listing.pk).rating == Decimal("5.00")
    # The bulk action too.
    admin.post(
        "/admin/directory/review/",
        {"action": "delete_selected", "_selected_action": [str(r.pk) for r in Review.objects.all()], "post": "yes"},
    )
    assert (Mechanic.objects.get(pk=listing.pk).rating, Mechanic.objects.get(pk=listing.pk).rating_count) == (
        Decimal("0.00"),
        0,
    )


def test_deleting_a_user_recomputes_the_ratings_of_what_they_reviewed(
    listing: Mechanic, staff: User, driver: User, other_driver: User
) -> None:
    rate(other_driver, listing, 1)
    rate(driver, listing, 5)
    admin = Client()
    admin.force_login(staff)
    response = admin.post(f"/admin/accounts/user/{other_driver.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(pk=other_driver.pk).exists()
    stored = Mechanic.objects.get(pk=listing.pk)
    assert (stored.rating, stored.rating_count) == (Decimal("5.00"), 1)


def test_the_review_lists_use_a_constant_number_of_queries(
    api: APIClient, listing: Mechanic, driver: User, django_assert_max_num_queries: Any
) -> None:
    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            rate(make_user(f"q{index}@example.com"), listing, 1 + index % 5, "words")

    add(2, 0)
    rate(driver, listing, 4)
    # The account, the listing, the histogram, the count and the page.
    with django_assert_max_num_queries(6 + RLS_QUERIES):
        assert len(api.get(reviews_url(listing)).json()["results"]) == 3
    with django_assert_max_num_queries(3 + RLS_QUERIES):
        assert len(api.get("/api/v1/me/reviews").json()["results"]) == 1
    add(15, 2)
    with django_assert_max_num_queries(6 + RLS_QUERIES):
        assert len(api.get(reviews_url(listing)).json()["results"]) == 18
