"""Each app registers its own part of closing an account and of seeding on cardoc's hooks."""

from __future__ import annotations

import pytest

from cardoc import hooks
from cardoc.hooks import Hook


def test_every_app_with_user_data_erases_its_own_part() -> None:
    assert hooks.user_erasers.paths == [
        "directory.services.user_listings_release",
        "diagnostics.services.user_diagnostics_erase",
        "maintenance.services.user_maintenance_erase",
    ]


def test_seeders_run_lowest_layer_first() -> None:
    assert hooks.content_seeders.paths == [
        "catalog.services.catalog_seed",
        "tutorials.services.tutorials_seed",
        "directory.services.directory_seed",
    ]


def test_every_registered_path_resolves_to_a_function() -> None:
    for hook in (hooks.user_erasers, hooks.content_seeders):
        assert all(callable(receiver) for receiver in hook)


def test_a_hook_registers_a_path_once_and_runs_in_both_orders() -> None:
    hook: Hook[object] = Hook("example")
    hook.register("json.dumps")
    hook.register("json.loads")
    hook.register("json.dumps")
    assert hook.paths == ["json.dumps", "json.loads"]
    assert [f.__name__ for f in reversed(hook)] == ["loads", "dumps"]  # type: ignore[attr-defined]


def test_a_bad_path_fails_loudly() -> None:
    hook: Hook[object] = Hook("example")
    hook.register("json.no_such_function")
    with pytest.raises(ImportError):
        list(hook)
