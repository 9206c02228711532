from __future__ import annotations

from rest_framework.routers import SimpleRouter

from mlops.api.views import MLModelViewSet

router = SimpleRouter(trailing_slash=False)
router.register("models", MLModelViewSet, basename="mlmodel")

urlpatterns = router.urls
