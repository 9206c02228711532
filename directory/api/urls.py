from __future__ import annotations

from rest_framework.routers import SimpleRouter

from directory.api.views import MechanicViewSet, ServiceViewSet

router = SimpleRouter(trailing_slash=False)
router.register("services", ServiceViewSet, basename="service")
router.register("mechanics", MechanicViewSet, basename="mechanic")

urlpatterns = router.urls
