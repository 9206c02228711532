"""The garages' quote pages, under /mechanics/quotes/."""

from __future__ import annotations

from django.urls import path

from maintenance.views import QuoteDetailView, QuoteListView, QuotePhotoView

app_name = "maintenance"

urlpatterns = [
    path("", QuoteListView.as_view(), name="quote-list"),
    path("<uuid:pk>/", QuoteDetailView.as_view(), name="quote-detail"),
    path("<uuid:pk>/photo/", QuotePhotoView.as_view(), name="quote-photo"),
]
