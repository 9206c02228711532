from __future__ import annotations

from decimal import Decimal

import pytest
from model_bakery import baker

from accounts.models import User
from directory.models import Mechanic, MechanicService, Service
from tests.catalog.fixtures import media_root, seeded
from tests.directory.factories import make_listing

__all__ = ["media_root", "seeded"]


@pytest.fixture
def oil_change(db: None) -> Service:
    return baker.make(Service, name="Oil change", category="maintenance", cost_min=10000, cost_max=40000)


@pytest.fixture
def brake_pads(db: None) -> Service:
    return baker.make(Service, name="Brake pads", category="brakes", cost_min=30000, cost_max=90000)


@pytest.fixture
def listing(mechanic: User, oil_change: Service) -> Mechanic:
    """A garage the ``mechanic`` owns, offering an oil change at 25,000 XAF."""
    garage = make_listing("Garage Owned", owners=[mechanic])
    MechanicService.objects.create(mechanic=garage, service=oil_change, price=Decimal("25000"))
    return garage


@pytest.fixture
def other_listing(other_mechanic: User) -> Mechanic:
    """A garage the ``other_mechanic`` owns."""
    return make_listing("Garage Elsewhere", owners=[other_mechanic])
