"""Load the demo data idempotently: running it twice changes nothing the second time.

``--banner-file PATH`` also writes what a newcomer needs to try the demo (logins and the
like) for the banner ``make run`` prints: every module in STEPS that has a
``banner_lines()`` function adds its lines (a heading, then lines indented by two
spaces), one block per module, blocks separated by an empty line.
"""

from importlib import import_module
from pathlib import Path

from django.core.management.base import BaseCommand

# Each domain seeds its own part, in dependency order.
STEPS = [
    "demo.users",
    "demo.catalog",
    "demo.purchases",
    "demo.payouts",
    "demo.partners",
]


class Command(BaseCommand):
    help = "Create the demo users, merchants, offers, purchases and payouts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--banner-file", help="write the demo's lines for the `make run` banner to this file")

    def handle(self, *args, **options):
        blocks = []
        for module_name in STEPS:
            try:
                module = import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            summary = module.seed()
            self.stdout.write(f"{module_name}: {summary}")
            if hasattr(module, "banner_lines"):
                blocks.append("\n".join(module.banner_lines()))
        if options["banner_file"]:
            Path(options["banner_file"]).write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
