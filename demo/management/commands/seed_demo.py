"""Load the demo data idempotently: running it twice changes nothing the second time."""

from importlib import import_module

from django.core.management.base import BaseCommand

# Each domain seeds its own part, in dependency order.
STEPS = [
    "demo.users",
    "demo.catalog",
    "demo.purchases",
    "demo.payouts",
]


class Command(BaseCommand):
    help = "Create the demo users, merchants, offers, purchases and payouts (idempotent)."

    def handle(self, *args, **options):
        for module_name in STEPS:
            try:
                module = import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            summary = module.seed()
            self.stdout.write(f"{module_name}: {summary}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
