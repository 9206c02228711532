from __future__ import annotations

from rest_framework.routers import SimpleRouter

from diagnostics.api.views import DiagnosticViewSet

router = SimpleRouter(trailing_slash=False)
router.register("diagnostics", DiagnosticViewSet, basename="diagnostic")

urlpatterns = router.urls
