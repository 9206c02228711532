from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from directory.api.views import MechanicViewSet, MyReviewsView, ReviewViewSet, ServiceViewSet

router = SimpleRouter(trailing_slash=False)
router.register("services", ServiceViewSet, basename="service")
router.register("mechanics", MechanicViewSet, basename="mechanic")
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/reviews", MyReviewsView.as_view(), name="me-reviews"),
    *router.urls,
]
