from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from mlops.api.views import ActiveModelsView, MLModelViewSet, ModelDownloadView

router = SimpleRouter(trailing_slash=False)
router.register("models", MLModelViewSet, basename="mlmodel")

urlpatterns = [
    # Before the router's: "active" would otherwise be taken for a model id.
    path("models/active", ActiveModelsView.as_view(), name="mlmodel-active"),
    path("models/<uuid:pk>/download", ModelDownloadView.as_view(), name="mlmodel-download"),
    *router.urls,
]
