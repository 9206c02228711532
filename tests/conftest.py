"""Fixtures for the people in our stories: driver, other_driver, mechanic, other_mechanic, staff."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import caches
from django.db import connection
from django.db.backends.signals import connection_created
from django.utils import translation
from model_bakery import baker
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role, User, UserProfile
from cardoc import rls

PASSWORD = "correct-horse-battery-staple"
# Row-level security adds a constant number of queries to every request on PostgreSQL (cardoc.rls); the
# query-count tests add it to their budgets, which stay constant in the number of rows.
RLS_QUERIES = rls.QUERIES_PER_REQUEST if connection.vendor == "postgresql" else 0


@cache
def _password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run instead of once per user.
    return make_password(PASSWORD)


def make_user(email: str, *, role: str = Role.CAR_USER, is_staff: bool = False, **fields: object) -> User:
    user = baker.make(User, email=email, role=role, is_staff=is_staff, password=_password_hash(), **fields)
    baker.make(UserProfile, user=user, full_name=email.split("@")[0].replace(".", " ").title())
    return user


def _test_code_sees_every_row(sender: object, connection: object, **kwargs: object) -> None:
    rls.set_session_bypass(on=True, using=connection)


# On PostgreSQL, the tests' own set-up and assertions play the part of a worker: they see every row, on
# every connection they open (threads included). Requests made through the test clients are scoped by
# RowLevelSecurityMiddleware exactly as in production; tests/security/test_row_level_security.py turns the
# bypass off to prove the policies.
connection_created.connect(_test_code_sees_every_row, dispatch_uid="tests_rls_bypass")


@pytest.fixture(autouse=True)
def _rls_bypass(request: pytest.FixtureRequest) -> None:
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if uses_db and connection.vendor == "postgresql":
        request.getfixturevalue("_django_db_helper")
        rls.set_session_bypass(on=True)


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    """Start every test with an empty cache, so rate-limit counters never carry over between tests.

    The default cache is a database table, so only tests that may use the database clear it (the others
    cannot have touched it).
    """
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        return
    for backend in caches.all():
        backend.clear()


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    """Every test ends in the default language: a French request activates French in this thread, and Django
    switches it back only at the end of a real request cycle, so the next test would otherwise start in French."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def driver(db: None) -> User:
    return make_user("driver@example.com")


@pytest.fixture
def other_driver(db: None) -> User:
    return make_user("other.driver@example.com")


@pytest.fixture
def mechanic(db: None) -> User:
    return make_user("mechanic@example.com", role=Role.MECHANIC)


@pytest.fixture
def other_mechanic(db: None) -> User:
    return make_user("other.mechanic@example.com", role=Role.MECHANIC)


@pytest.fixture
def staff(db: None) -> User:
    return make_user("staff@example.com", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An API client signed in with a real access token, so every test goes through JWT auth."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.fixture
def tasks_sync(settings: pytest.FixtureRequest) -> None:
    """Run django-q2 tasks inline, right after the request's transaction commits."""
    settings.TASKS_SYNC = True
