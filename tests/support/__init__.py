"""What tests across the apps share: one helper for each chore.

* ``race.run_together``: real threads released together by a barrier, for races on
  real PostgreSQL row locks (``race.outcome`` names what each call did).
* ``funding.fund_wallet``: money in a wallet, written through the purchase services so
  that balances, ledger and domain agree and ``reconcile_wallets`` passes.
* ``ibans``: valid IBANs of a few countries, broken ones, and a bank transfer's details.

Test data of one app (users, merchants, offers, purchases, payouts) comes from that
app's ``tests/factories.py``; this package holds only what no single app owns. Import
from the modules (``from tests.support.funding import fund_wallet``): this file imports
nothing, so an app's factories can use ``ibans`` while ``funding`` uses the factories.
"""
