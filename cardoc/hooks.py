"""Hooks: how a lower app asks the apps above it to do their part, without importing them.

``cardoc`` defines each hook here; every app that has a part registers one function on it in its
``AppConfig.ready()``. Receivers run in registration order, which is ``INSTALLED_APPS`` order (lowest layer
first), unless the caller says otherwise. They are registered by dotted path, like the tasks we enqueue,
and imported on first use: ``ready()`` runs for every ``manage.py`` call, and a service module may pull in
torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from cardoc.health import Check
    from cardoc.seeding import UpsertCounts

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """A named list of functions, one per app that takes part."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._paths: list[str] = []

    def register(self, path: str) -> None:
        """Add the function at dotted ``path`` (once: a second ``ready()`` in one process is harmless)."""
        if path not in self._paths:
            self._paths.append(path)

    @property
    def paths(self) -> list[str]:
        return list(self._paths)

    def __iter__(self) -> Iterator[F]:
        return (cast(F, import_string(path)) for path in self.paths)

    def __reversed__(self) -> Iterator[F]:
        return (cast(F, import_string(path)) for path in reversed(self.paths))

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {', '.join(self._paths) or 'no receivers'}>"


# Erase everything an app keeps about ``user`` (a closing account), inside the caller's transaction.
# Files are removed with transaction.on_commit, so a rollback never leaves rows pointing at missing files.
# Called highest layer first, since higher apps' rows point at lower ones.
UserEraser = Callable[..., None]  # (*, user: User) -> None
user_erasers: Hook[UserEraser] = Hook("user_erasers")

# Undo what the mechanic role granted, when staff take the role away: (*, user: User) -> None.
RoleRevoker = Callable[..., None]
mechanic_role_revokers: Hook[RoleRevoker] = Hook("mechanic_role_revokers")

# Whether a review's visit is the driver's completed job at that garage (maintenance answers for the
# directory): (*, user: User, mechanic: Mechanic, visit_id: UUID) -> bool.
VisitVerifier = Callable[..., bool]
visit_verifiers: Hook[VisitVerifier] = Hook("visit_verifiers")

# Create the app's seed content (``manage.py seed``): what is missing is created, and a row edited since it
# was seeded is left alone. Called lowest layer first, since seeded rows link to lower ones. Returns counts
# per kind of row, for the command's report.
ContentSeeder = Callable[..., "Mapping[str, UpsertCounts]"]  # (*, demo: bool) -> {kind: counts}
content_seeders: Hook[ContentSeeder] = Hook("content_seeders")

# One more check for ``/health/ready`` (cardoc.health): () -> Check. It must be cheap, and must not load
# anything heavy into the web process (no torch).
ReadinessCheck = Callable[[], "Check"]
readiness_checks: Hook[ReadinessCheck] = Hook("readiness_checks")

# A diagnostic's analysis has just ended, completed or failed (the inbox tells the driver). Called inside
# the transaction that stores the outcome, so the message commits with it or not at all:
# (*, record: DiagnosticRecord) -> None.
DiagnosticFinished = Callable[..., None]
diagnostic_finished: Hook[DiagnosticFinished] = Hook("diagnostic_finished")

# What drivers' feedback says about model versions, for the registry (mlops sits below diagnostics):
# (*, model_ids: list[UUID]) -> {model_id: {"reviewed", "confirmed", "rejected", "corrected", "precision",
# "by_code": [{"code", "reviewed", "confirmed", "rejected", "corrected", "precision"}, ...]}}.
FeedbackFigures = Callable[..., "Mapping[Any, Mapping[str, Any]]"]
model_feedback_figures: Hook[FeedbackFigures] = Hook("model_feedback_figures")

# More metrics for ``/metrics`` (cardoc.metrics), read from the database at scrape time: () -> Iterable[Metric].
# Each must be cheap (a scraper comes every few seconds) and return only figures, never anyone's rows.
MetricCollector = Callable[[], "Iterable[Metric]"]
metric_collectors: Hook[MetricCollector] = Hook("metric_collectors")

# How many bytes of ``user``'s files the app stores (the per-user storage quota adds them up, see
# accounts.services.storage_quota_check): (*, user: User) -> int. It must be one cheap query, not a walk of the disk.
StorageUsage = Callable[..., int]
storage_usage: Hook[StorageUsage] = Hook("storage_usage")
