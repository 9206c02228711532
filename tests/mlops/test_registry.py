"""The model registry: artefact integrity, deployment, A/B traffic and the staff API."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from mlops.artifacts import ArtifactIntegrityError, read_artifact, write_checksum
from mlops.models import MLModel, ModelStatus, ModelType, Prediction
from mlops.routing import ModelUnavailableError, choose_model
from mlops.services import model_deploy, model_register, model_set_traffic

pytestmark = pytest.mark.django_db

IMAGE = ModelType.IMAGE_CLASSIFICATION


def make_artifact(folder: Path, *, weights: bytes = b"weights", accuracy: float = 0.93) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.pt").write_bytes(weights)
    (folder / "config.json").write_text(json.dumps({"kind": "dashboard", "name": "dash", "version": "1"}))
    per_class = {"oil_pressure": {"precision": 0.95, "recall": 0.9, "f1": 0.924, "support": 20}}
    (folder / "metrics.json").write_text(json.dumps({"accuracy": accuracy, "per_class": per_class}))
    write_checksum(folder)
    return folder


BUNDLED_DASHBOARD = Path(__file__).resolve().parents[2] / "mlops" / "artifacts" / "dashboard"


def registered(
    tmp_path: Path, version: str, *, status: str = ModelStatus.TESTING, share: float = 0.0, loadable: bool = False
) -> MLModel:
    if loadable:
        # A deploy or a traffic share loads the artefact first, so these need the real bundled weights.
        folder = Path(shutil.copytree(BUNDLED_DASHBOARD, tmp_path / version))
    else:
        folder = make_artifact(tmp_path / version, weights=version.encode())
    info = read_artifact(folder)
    model, _ = model_register(info=info, name="dash", version=version, model_type=IMAGE)
    MLModel.objects.filter(pk=model.pk).update(status=status, traffic_share=share)
    model.refresh_from_db()
    return model


def test_it_refuses_an_artefact_whose_weights_were_tampered_with(tmp_path: Path) -> None:
    folder = make_artifact(tmp_path / "m")
    (folder / "weights.pt").write_bytes(b"evil weights")
    with pytest.raises(ArtifactIntegrityError, match="does not match its recorded sha256"):
        read_artifact(folder)


def test_registering_twice_is_idempotent_and_activates_only_when_none_is_active(tmp_path: Path) -> None:
    info = read_artifact(make_artifact(tmp_path / "m"))
    first, created = model_register(info=info, name="dash", version="1", model_type=IMAGE, activate_if_none=True)
    again, created_again = model_register(info=info, name="dash", version="1", model_type=IMAGE, activate_if_none=True)
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    stored = MLModel.objects.get()
    assert stored.status == ModelStatus.ACTIVE
    assert stored.accuracy == pytest.approx(0.93)
    assert stored.sha256 == info.sha256


def test_the_same_version_with_other_weights_is_refused(tmp_path: Path) -> None:
    model_register(info=read_artifact(make_artifact(tmp_path / "a")), name="dash", version="1", model_type=IMAGE)
    other = read_artifact(make_artifact(tmp_path / "b", weights=b"retrained"))
    with pytest.raises(ValidationError, match="already registered with other weights"):
        model_register(info=other, name="dash", version="1", model_type=IMAGE)


def test_deploy_deprecates_the_previous_active_model_and_is_audited(tmp_path: Path, staff: User) -> None:
    old = registered(tmp_path, "1", status=ModelStatus.ACTIVE)
    new = registered(tmp_path, "2", share=0.3, loadable=True)
    model_deploy(model=new, actor=staff)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status, new.traffic_share) == (ModelStatus.DEPRECATED, ModelStatus.ACTIVE, 0)
    event = AuditEvent.objects.get(action="model_deploy")
    assert event.user == staff
    assert event.details["previous"] == str(old.pk)


def test_traffic_shares_may_not_exceed_all_traffic(tmp_path: Path) -> None:
    registered(tmp_path, "1", status=ModelStatus.ACTIVE)
    first, second = registered(tmp_path, "2", loadable=True), registered(tmp_path, "3", loadable=True)
    model_set_traffic(model=first, share=0.7)
    with pytest.raises(ValidationError):
        model_set_traffic(model=second, share=0.4)
    assert MLModel.objects.get(pk=second.pk).traffic_share == 0


def test_a_deprecated_model_cannot_take_traffic(tmp_path: Path) -> None:
    old = registered(tmp_path, "1", status=ModelStatus.DEPRECATED)
    with pytest.raises(ValidationError, match="Only a testing model"):
        model_set_traffic(model=old, share=0.1)


def test_a_testing_model_serves_about_its_share_of_requests(tmp_path: Path) -> None:
    active = registered(tmp_path, "1", status=ModelStatus.ACTIVE)
    testing = registered(tmp_path, "2", share=0.2)
    keys = [str(uuid.UUID(int=i)) for i in range(2000)]
    served = [choose_model(IMAGE, key).pk for key in keys]
    share = served.count(testing.pk) / len(served)
    assert 0.17 < share < 0.23
    assert served.count(active.pk) + served.count(testing.pk) == len(served)
    # The same routing key always reaches the same model.
    assert [choose_model(IMAGE, key).pk for key in keys[:50]] == served[:50]


def test_without_an_active_model_nothing_serves() -> None:
    with pytest.raises(ModelUnavailableError):
        choose_model(IMAGE, "key")


@pytest.fixture
def two_models(tmp_path: Path) -> tuple[MLModel, MLModel]:
    return registered(tmp_path, "1", status=ModelStatus.ACTIVE), registered(tmp_path, "2", loadable=True)


ENDPOINTS: list[tuple[str, str, dict[str, object]]] = [
    ("get", "/api/v1/models", {}),
    ("get", "/api/v1/models/{id}", {}),
    ("post", "/api/v1/models/{id}/deploy", {}),
    ("post", "/api/v1/models/{id}/traffic", {"traffic_share": 0.25}),
    ("get", "/api/v1/models/{id}/performance", {}),
]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_the_model_api_is_for_staff_only(
    api_client: APIClient,
    client_for: Callable[[User], APIClient],
    driver: User,
    staff: User,
    two_models: tuple[MLModel, MLModel],
    method: str,
    url: str,
    body: dict[str, object],
) -> None:
    path = url.format(id=two_models[1].pk)
    anonymous = getattr(api_client, method)(path, body, format="json")
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    as_driver = getattr(client_for(driver), method)(path, body, format="json")
    assert as_driver.status_code == HTTPStatus.FORBIDDEN
    assert as_driver.json()["error"]["code"] == "permission_denied"
    assert getattr(client_for(staff), method)(path, body, format="json").status_code == HTTPStatus.OK


def test_staff_deploy_through_the_api(
    client_for: Callable[[User], APIClient], staff: User, two_models: tuple[MLModel, MLModel]
) -> None:
    old, new = two_models
    response = client_for(staff).post(f"/api/v1/models/{new.pk}/deploy")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "active"
    assert MLModel.objects.get(pk=old.pk).status == ModelStatus.DEPRECATED
    missing = client_for(staff).post(f"/api/v1/models/{uuid.uuid4()}/deploy")
    assert missing.status_code == HTTPStatus.NOT_FOUND


def test_a_bad_traffic_share_is_a_validation_error(
    client_for: Callable[[User], APIClient], staff: User, two_models: tuple[MLModel, MLModel]
) -> None:
    response = client_for(staff).post(f"/api/v1/models/{two_models[1].pk}/traffic", {"traffic_share": 1.5})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "traffic_share" in response.json()["error"]["fields"]


def test_performance_reports_live_figures(
    client_for: Callable[[User], APIClient], staff: User, two_models: tuple[MLModel, MLModel]
) -> None:
    model = two_models[0]
    for latency, confidence, unknown in [(10, 0.9, False), (20, 0.8, False), (30, 0.0, True), (400, 0.7, False)]:
        baker.make(Prediction, ml_model=model, latency_ms=latency, confidence=confidence, is_unknown=unknown)
    live = client_for(staff).get(f"/api/v1/models/{model.pk}/performance").json()["live"]
    assert live["predictions"] == 4
    assert live["unknown_share"] == pytest.approx(0.25)
    assert live["mean_confidence"] == pytest.approx(0.6)
    assert live["latency_p50_ms"] in (20, 30)
    assert live["latency_p95_ms"] == 400


def test_the_admin_shows_the_confusion_matrix_and_deploys(
    client: Client, staff: User, two_models: tuple[MLModel, MLModel], tmp_path: Path
) -> None:
    old, new = two_models
    shown = registered(tmp_path, "3")  # metrics known to the test
    (Path(shown.artifact_path) / "confusion.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    client.force_login(staff)
    page = client.get(f"/admin/mlops/mlmodel/{shown.pk}/change/")
    assert f"/admin/mlops/mlmodel/{shown.pk}/confusion.png" in page.content.decode()
    assert "<td>oil_pressure</td><td>0.950</td><td>0.900</td><td>0.924</td><td>20</td>" in page.content.decode()
    image = client.get(f"/admin/mlops/mlmodel/{shown.pk}/confusion.png")
    assert image.status_code == HTTPStatus.OK
    assert image["Content-Type"] == "image/png"
    client.post("/admin/mlops/mlmodel/", {"action": "deploy_selected", "_selected_action": [str(new.pk)]})
    assert MLModel.objects.get(pk=new.pk).status == ModelStatus.ACTIVE
    assert MLModel.objects.get(pk=old.pk).status == ModelStatus.DEPRECATED


# --- Issue 14, defect 13: who may switch models, and only to one that loads ---------------------------


@pytest.fixture
def plain_staff(db: None) -> User:
    from tests.conftest import make_user

    return make_user("support@example.com", role="administrator", is_staff=True)


@pytest.mark.parametrize(("url", "body"), [("deploy", {}), ("traffic", {"traffic_share": 0.25})])
def test_staff_without_the_change_permission_cannot_switch_models(
    client_for: Callable[[User], APIClient],
    plain_staff: User,
    two_models: tuple[MLModel, MLModel],
    url: str,
    body: dict[str, object],
) -> None:
    _old, new = two_models
    client = client_for(plain_staff)
    assert client.get(f"/api/v1/models/{new.pk}").status_code == HTTPStatus.OK

    response = client.post(f"/api/v1/models/{new.pk}/{url}", body, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    new.refresh_from_db()
    assert (new.status, new.traffic_share) == (ModelStatus.TESTING, 0)


def test_staff_granted_the_change_permission_may_deploy(
    client_for: Callable[[User], APIClient], plain_staff: User, two_models: tuple[MLModel, MLModel]
) -> None:
    from django.contrib.auth.models import Permission

    plain_staff.user_permissions.add(Permission.objects.get(codename="change_mlmodel"))

    response = client_for(plain_staff).post(f"/api/v1/models/{two_models[1].pk}/deploy")

    assert response.status_code == HTTPStatus.OK
    assert MLModel.objects.get(pk=two_models[1].pk).status == ModelStatus.ACTIVE


def test_the_admin_hides_the_deploy_action_without_the_change_permission(
    plain_staff: User, two_models: tuple[MLModel, MLModel]
) -> None:
    from django.contrib.auth.models import Permission

    plain_staff.user_permissions.add(Permission.objects.get(codename="view_mlmodel"))
    client = Client()
    client.force_login(plain_staff)

    client.post("/admin/mlops/mlmodel/", {"action": "deploy_selected", "_selected_action": [str(two_models[1].pk)]})

    assert MLModel.objects.get(pk=two_models[1].pk).status == ModelStatus.TESTING
    assert MLModel.objects.get(pk=two_models[0].pk).status == ModelStatus.ACTIVE


@pytest.mark.parametrize("damage", ["missing", "tampered", "unloadable"])
def test_a_model_that_does_not_verify_and_load_is_refused_and_the_active_one_stays(
    client_for: Callable[[User], APIClient], staff: User, tmp_path: Path, damage: str
) -> None:
    active = registered(tmp_path, "1", status=ModelStatus.ACTIVE, loadable=True)
    if damage == "unloadable":
        broken = registered(tmp_path, "2")  # checksummed, but its weights are not a model
    else:
        broken = registered(tmp_path, "2", loadable=True)
        folder = Path(broken.artifact_path)
        if damage == "missing":
            shutil.rmtree(folder)
        else:
            (folder / "weights.pt").write_bytes(b"evil weights")

    response = client_for(staff).post(f"/api/v1/models/{broken.pk}/deploy")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "model_unloadable"
    assert MLModel.objects.get(pk=active.pk).status == ModelStatus.ACTIVE
    assert MLModel.objects.get(pk=broken.pk).status == ModelStatus.TESTING
    traffic = client_for(staff).post(f"/api/v1/models/{broken.pk}/traffic", {"traffic_share": 0.5}, format="json")
    assert traffic.status_code == HTTPStatus.CONFLICT
    assert MLModel.objects.get(pk=broken.pk).traffic_share == 0
