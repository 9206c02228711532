from __future__ import annotations

from tests.catalog.fixtures import media_root, seeded

__all__ = ["media_root", "seeded"]
