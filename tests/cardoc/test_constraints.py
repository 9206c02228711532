"""Every CheckConstraint and unique constraint rejects bad data in the database itself."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from accounts.models import User, UserProfile, Vehicle
from cardoc.models import AppSetting, AuditEvent
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from directory.models import ListingClaim, Mechanic, MechanicService, Review, ReviewReport, ReviewVote, Service
from maintenance.models import MaintenanceRecord, Notification
from mlops.models import MLModel, Prediction
from tutorials.models import Tutorial, TutorialEngineSound, TutorialWarningLight

pytestmark = pytest.mark.django_db

SHA = "a" * 64


def light(**kw: object) -> WarningLight:
    return baker.make(WarningLight, **({"severity": "critical", "colour": "red"} | kw))


def sound(**kw: object) -> EngineSound:
    fields = {"sound_type": "grinding", "severity": "moderate", "frequency_low_hz": 100, "frequency_high_hz": 900}
    return baker.make(EngineSound, **(fields | kw))


def service(**kw: object) -> Service:
    fields = {"category": "brakes", "cost_min": Decimal(10), "cost_max": Decimal(20)}
    return baker.make(Service, **(fields | kw))


def mechanic(**kw: object) -> Mechanic:
    return baker.make(Mechanic, **({"latitude": 3.85, "longitude": 11.5} | kw))


def ml_model(**kw: object) -> MLModel:
    fields = {"model_type": "image_classification", "status": "testing", "sha256": SHA, "size_bytes": 10}
    return baker.make(MLModel, **(fields | kw))


def diagnostic(**kw: object) -> DiagnosticRecord:
    return baker.make(DiagnosticRecord, **({"diagnostic_type": "dashboard_scan", "status": "pending"} | kw))


def result(**kw: object) -> DiagnosticResult:
    return baker.make(DiagnosticResult, **({"overall_confidence": 0.5, "urgency": "soon"} | kw))


def maintenance(**kw: object) -> MaintenanceRecord:
    return baker.make(MaintenanceRecord, **({"maintenance_type": "scheduled", "reminder_status": "pending"} | kw))


def twice(make: Callable[[], object]) -> Callable[[], object]:
    def both() -> object:
        make()
        return make()

    return both


def duplicate_review() -> None:
    user, place = baker.make(User), mechanic()
    baker.make(Review, user=user, mechanic=place, rating=4)
    baker.make(Review, user=user, mechanic=place, rating=5)


def duplicate_visit_review() -> None:
    visit = uuid.uuid4()
    baker.make(Review, user=baker.make(User), mechanic=mechanic(), rating=4, visit_id=visit)
    baker.make(Review, user=baker.make(User), mechanic=mechanic(), rating=5, visit_id=visit)


def review() -> Review:
    return baker.make(Review, user=baker.make(User), mechanic=mechanic(), rating=3)


def duplicate_vote() -> None:
    user, rated = baker.make(User), review()
    baker.make(ReviewVote, user=user, review=rated)
    baker.make(ReviewVote, user=user, review=rated)


def duplicate_report() -> None:
    user, rated = baker.make(User), review()
    baker.make(ReviewReport, user=user, review=rated, reason="spam")
    baker.make(ReviewReport, user=user, review=rated, reason="fake")


def duplicate_pending_claim() -> None:
    user, place = baker.make(User), mechanic()
    baker.make(ListingClaim, user=user, mechanic=place, message="It is mine")
    baker.make(ListingClaim, user=user, mechanic=place, message="Really")


def duplicate_vin() -> None:
    owner = baker.make(User)
    baker.make(Vehicle, user=owner, year=2015, vin="JTDKB20U093123456")
    baker.make(Vehicle, user=owner, year=2016, vin="JTDKB20U093123456")


def duplicate_client_ref() -> None:
    owner, ref = baker.make(User), uuid.uuid4()
    diagnostic(user=owner, client_ref=ref)
    diagnostic(user=owner, client_ref=ref)


def duplicate_notification() -> None:
    record = maintenance()
    baker.make(Notification, user=record.user, maintenance_record=record, kind="maintenance_due")
    baker.make(Notification, user=record.user, maintenance_record=record, kind="maintenance_due")


def duplicate_tutorial_light_link() -> None:
    tutorial, warning_light = baker.make(Tutorial, duration_seconds=60), light()
    baker.make(TutorialWarningLight, tutorial=tutorial, warning_light=warning_light)
    baker.make(TutorialWarningLight, tutorial=tutorial, warning_light=warning_light)


def duplicate_tutorial_sound_link() -> None:
    tutorial, engine_sound = baker.make(Tutorial, duration_seconds=60), sound()
    baker.make(TutorialEngineSound, tutorial=tutorial, engine_sound=engine_sound)
    baker.make(TutorialEngineSound, tutorial=tutorial, engine_sound=engine_sound)


def duplicate_offering() -> None:
    place, job = mechanic(), service()
    baker.make(MechanicService, mechanic=place, service=job)
    baker.make(MechanicService, mechanic=place, service=job)


def second_result() -> None:
    record = diagnostic()
    result(record=record)
    result(record=record)


def detection(**kw: object) -> Detection:
    return baker.make(Detection, result=result(), **({"confidence": 0.9} | kw))


BAD_ROWS: dict[str, Callable[[], object]] = {
    "appsetting_data_type": lambda: baker.make(AppSetting, data_type="float", category="ml_models", value=1),
    "appsetting_category": lambda: baker.make(AppSetting, data_type="integer", category="billing", value=1),
    "auditevent_action": lambda: baker.make(AuditEvent, action="hack", status="success"),
    "auditevent_status": lambda: baker.make(AuditEvent, action="login", status="maybe"),
    "user_role": lambda: baker.make(User, role="king"),
    "user_status": lambda: baker.make(User, status="banned"),
    "user_administrator_is_staff": lambda: baker.make(User, role="administrator", is_staff=False),
    "user_email_ci_unique": lambda: (baker.make(User, email="a@example.com"), baker.make(User, email="A@Example.com")),
    "userprofile_units": lambda: baker.make(UserProfile, units="parsecs"),
    "userprofile_reminder_lead_days": lambda: baker.make(UserProfile, reminder_lead_days=400),
    "vehicle_fuel_type": lambda: baker.make(Vehicle, year=2015, fuel_type="steam"),
    "vehicle_year": lambda: baker.make(Vehicle, year=1700),
    "vehicle_vin_unique_per_user": duplicate_vin,
    "warninglight_severity": lambda: light(severity="dire"),
    "warninglight_colour": lambda: light(colour="purple"),
    "warninglight_code_unique": twice(lambda: light(code="oil_pressure")),
    "enginesound_type": lambda: sound(sound_type="humming"),
    "enginesound_severity": lambda: sound(severity="informational"),
    "enginesound_frequency_low_lt_high": lambda: sound(frequency_low_hz=900, frequency_high_hz=100),
    "enginesound_code_unique": twice(lambda: sound(code="water_pump")),
    "tutorial_difficulty": lambda: baker.make(Tutorial, difficulty="expert", duration_seconds=60),
    "tutorial_duration_positive": lambda: baker.make(Tutorial, duration_seconds=0),
    "tutorial_slug_unique": twice(lambda: baker.make(Tutorial, slug="oil", duration_seconds=60)),
    "tutorial_warning_light_unique": duplicate_tutorial_light_link,
    "tutorial_engine_sound_unique": duplicate_tutorial_sound_link,
    "service_category": lambda: service(category="spa"),
    "service_cost_min_lte_max": lambda: service(cost_min=Decimal(50), cost_max=Decimal(20)),
    "service_cost_min_non_negative": lambda: service(cost_min=Decimal(-5)),
    "service_name_unique": twice(lambda: service(name="Oil change")),
    "mechanic_latitude_range": lambda: mechanic(latitude=91),
    "mechanic_longitude_range": lambda: mechanic(longitude=-181),
    "mechanic_rating_0_5": lambda: mechanic(rating=Decimal("5.5")),
    "mechanic_service_unique": duplicate_offering,
    "mechanic_service_price_non_negative": lambda: baker.make(
        MechanicService, mechanic=mechanic(), service=service(), price=Decimal(-1)
    ),
    "review_rating_1_5_low": lambda: baker.make(Review, mechanic=mechanic(), rating=0),
    "review_rating_1_5_high": lambda: baker.make(Review, mechanic=mechanic(), rating=6),
    "review_one_unverified_per_user_per_mechanic": duplicate_review,
    "review_one_per_visit": duplicate_visit_review,
    "reviewvote_once_per_user": duplicate_vote,
    "reviewreport_once_per_user": duplicate_report,
    "reviewreport_reason_valid": lambda: baker.make(ReviewReport, review=review(), reason="boring"),
    "listingclaim_one_pending_per_user": duplicate_pending_claim,
    "listingclaim_status_valid": lambda: baker.make(ListingClaim, mechanic=mechanic(), status="maybe"),
    "mlmodel_type": lambda: ml_model(model_type="llm"),
    "mlmodel_status": lambda: ml_model(status="retired"),
    "mlmodel_traffic_share": lambda: ml_model(traffic_share=1.5),
    "mlmodel_accuracy": lambda: ml_model(accuracy=1.2),
    "mlmodel_name_version_unique": twice(lambda: ml_model(name="dash", version="1")),
    "mlmodel_one_active_per_type": lambda: (ml_model(status="active"), ml_model(status="active")),
    "prediction_confidence": lambda: baker.make(Prediction, ml_model=ml_model(), confidence=1.5, latency_ms=3),
    "prediction_latency": lambda: baker.make(Prediction, ml_model=ml_model(), confidence=0.5, latency_ms=-1),
    "diagnostic_type": lambda: diagnostic(diagnostic_type="xray"),
    "diagnostic_status": lambda: diagnostic(status="lost"),
    "diagnostic_client_ref_unique_per_user": duplicate_client_ref,
    "diagnostic_confidence_0_1": lambda: result(overall_confidence=1.01),
    "diagnosticresult_urgency": lambda: result(urgency="whenever"),
    "diagnosticresult_one_per_record": second_result,
    "detection_neither_catalog_entry": lambda: detection(),
    "detection_both_catalog_entries": lambda: detection(warning_light=light(), engine_sound=sound()),
    "detection_confidence_0_1": lambda: detection(warning_light=light(), confidence=-0.1),
    "detection_box_ordered": lambda: detection(warning_light=light(), box_x0=50, box_y0=0, box_x1=10, box_y1=10),
    "detection_span_ordered": lambda: detection(engine_sound=sound(), start_s=3.0, end_s=1.0),
    "detection_span_without_an_end": lambda: detection(engine_sound=sound(), start_s=1.0),
    "detection_span_without_a_start": lambda: detection(engine_sound=sound(), end_s=1.0),
    "detection_span_only_for_sounds": lambda: detection(warning_light=light(), start_s=0.0, end_s=1.0),
    "maintenance_type": lambda: maintenance(maintenance_type="cosmetic"),
    "maintenance_reminder_status": lambda: maintenance(reminder_status="lost"),
    "maintenance_cost_non_negative": lambda: maintenance(cost=Decimal(-1)),
    "maintenance_recurrence_months_positive": lambda: maintenance(recurrence_months=0),
    "maintenance_recurrence_km_positive": lambda: maintenance(recurrence_km=0),
    "notification_kind": lambda: baker.make(Notification, kind="spam"),
    "notification_once_per_record_kind": duplicate_notification,
}


@pytest.mark.parametrize("make_bad_row", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_the_database_rejects_a_bad_row(make_bad_row: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_bad_row()


def test_good_rows_are_accepted() -> None:
    # The same factories with valid values must pass, or the table above proves nothing.
    light(code="abs")
    sound(code="belt_squeal")
    service(name="Brake pads")
    mechanic()
    ml_model(status="active")
    detection(warning_light=light(code="battery"), box_x0=1, box_y0=2, box_x1=30, box_y1=40)
    detection(engine_sound=sound(code="misfire"), start_s=0.0, end_s=1.0)
    maintenance(cost=Decimal(0), recurrence_months=6, recurrence_km=10_000)
    assert Detection.objects.count() == 2
