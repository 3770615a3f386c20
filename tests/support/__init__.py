"""What tests across the apps share: one helper for each chore.

* ``race.run_together``: real threads released together by a barrier, for races on
  real PostgreSQL row locks (``race.outcome`` names what each call did).
"""
