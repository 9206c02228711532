from __future__ import annotations

from rest_framework.routers import SimpleRouter

from catalog.api.views import EngineSoundViewSet, WarningLightViewSet

router = SimpleRouter(trailing_slash=False)
router.register("warning-lights", WarningLightViewSet, basename="warning-light")
router.register("engine-sounds", EngineSoundViewSet, basename="engine-sound")

urlpatterns = router.urls
