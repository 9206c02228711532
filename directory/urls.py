"""The mechanics' pages, under /mechanics/."""

from __future__ import annotations

from django.urls import path

from directory.views import ClaimView, ListingEditView, ListingListView, ListingPhotosView, ListingReviewsView

app_name = "directory"

urlpatterns = [
    path("listings/", ListingListView.as_view(), name="listing-list"),
    path("listings/<uuid:pk>/edit/", ListingEditView.as_view(), name="listing-edit"),
    path("listings/<uuid:pk>/photos/", ListingPhotosView.as_view(), name="listing-photos"),
    path("listings/<uuid:pk>/reviews/", ListingReviewsView.as_view(), name="listing-reviews"),
    path("claim/", ClaimView.as_view(), name="claim"),
]
