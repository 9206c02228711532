"""The mechanics' pages, under /mechanics/."""

from __future__ import annotations

from django.urls import path

from directory.views import ListingEditView, ListingListView

app_name = "directory"

urlpatterns = [
    path("listings/", ListingListView.as_view(), name="listing-list"),
    path("listings/<uuid:pk>/edit/", ListingEditView.as_view(), name="listing-edit"),
]
