from __future__ import annotations

from rest_framework.routers import SimpleRouter

from catalog.api.views import EngineSoundViewSet, TroubleCodeViewSet, WarningLightViewSet

router = SimpleRouter(trailing_slash=False)
router.register("warning-lights", WarningLightViewSet, basename="warning-light")
router.register("engine-sounds", EngineSoundViewSet, basename="engine-sound")
router.register("trouble-codes", TroubleCodeViewSet, basename="trouble-code")

urlpatterns = router.urls
