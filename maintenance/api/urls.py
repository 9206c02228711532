from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from maintenance.api.garage_views import (
    AttachmentViewSet,
    ExportView,
    FuelEntryViewSet,
    MaintenanceAttachmentView,
    VehicleCostsView,
    VehicleFuelEconomyView,
    VehicleImportView,
    VehicleOdometerView,
)
from maintenance.api.views import (
    CalendarFeedView,
    CalendarTokenView,
    DiagnosticMaintenanceView,
    DiagnosticQuoteRequestsView,
    MaintenanceRecordViewSet,
    NotificationViewSet,
    QuoteRequestViewSet,
)

router = SimpleRouter(trailing_slash=False)
router.register("maintenance", MaintenanceRecordViewSet, basename="maintenance")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("quote-requests", QuoteRequestViewSet, basename="quote-request")
router.register("fuel", FuelEntryViewSet, basename="fuel-entry")
router.register("attachments", AttachmentViewSet, basename="attachment")

urlpatterns: list[URLPattern | URLResolver] = [
    # Before the router's, though its detail route only matches UUIDs anyway.
    path("maintenance/calendar.ics", CalendarFeedView.as_view(), name="maintenance-calendar"),
    path("maintenance/calendar-token", CalendarTokenView.as_view(), name="maintenance-calendar-token"),
    # Lives here, not in diagnostics' router: it writes maintenance records. Its last segment keeps it
    # clear of diagnostics/{id}, /results, /analyze, /image and /audio.
    path("diagnostics/<uuid:pk>/maintenance", DiagnosticMaintenanceView.as_view(), name="diagnostic-maintenance"),
    path("diagnostics/<uuid:pk>/quote-requests", DiagnosticQuoteRequestsView.as_view(), name="diagnostic-quotes"),
    path("maintenance/<uuid:pk>/attachments", MaintenanceAttachmentView.as_view(), name="maintenance-attachments"),
    # A car's garage reads live here, not in accounts': they read maintenance's tables.
    path("vehicles/<uuid:pk>/costs", VehicleCostsView.as_view(), name="vehicle-costs"),
    path("vehicles/<uuid:pk>/fuel-economy", VehicleFuelEconomyView.as_view(), name="vehicle-fuel-economy"),
    path("vehicles/<uuid:pk>/odometer", VehicleOdometerView.as_view(), name="vehicle-odometer"),
    path("vehicles/<uuid:pk>/import", VehicleImportView.as_view(), name="vehicle-import"),
    path("export/<str:kind>.csv", ExportView.as_view(), name="export"),
    *router.urls,
]
