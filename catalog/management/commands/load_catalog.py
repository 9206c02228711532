"""``manage.py load_catalog [--demo]``: the former name of ``manage.py seed``, kept for existing scripts."""

from __future__ import annotations

from cardoc.management.commands.seed import Command as SeedCommand


class Command(SeedCommand):
    help = f"The former name of `manage.py seed`, which it runs. {SeedCommand.help}"
