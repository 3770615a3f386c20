"""``manage.py reconcile_wallets``: print every wallet mismatch; exit 1 if there is any."""

import sys

from django.core.management.base import BaseCommand

from wallets.reconcile import wallet_reconcile


class Command(BaseCommand):
    help = "Check every wallet against its ledger and against purchases and payouts."

    def handle(self, *args, **options):
        mismatches = wallet_reconcile()
        for mismatch in mismatches:
            self.stderr.write(f"MISMATCH {mismatch}")
        if mismatches:
            self.stderr.write(self.style.ERROR(f"{len(mismatches)} mismatch(es) found."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("0 mismatches: every wallet matches its ledger and the domain."))
