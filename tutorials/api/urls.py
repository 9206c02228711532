from __future__ import annotations

from rest_framework.routers import SimpleRouter

from tutorials.api.views import TutorialViewSet

router = SimpleRouter(trailing_slash=False)
router.register("tutorials", TutorialViewSet, basename="tutorial")

urlpatterns = router.urls
