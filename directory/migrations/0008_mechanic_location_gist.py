"""A GiST index on point(longitude, latitude) for the nearest-first search (PostgreSQL; nothing on SQLite).

Core PostgreSQL, no extension: the `point` type's GiST operator class answers both `<@ box` (the search
area) and `<->` (nearest first, KNN), which `MechanicQuerySet.nearest` uses to find its radius.
"""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import run_on_postgresql

FORWARD = [
    "CREATE INDEX IF NOT EXISTS mechanic_location_gist ON directory_mechanic USING gist (point(longitude, latitude))"
]
BACKWARD = ["DROP INDEX IF EXISTS mechanic_location_gist"]


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_service_repairs")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
