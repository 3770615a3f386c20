"""Writing events: called by each transition service inside its own transaction.

The kernel holds the outbox so that purchases and payouts record events without knowing
who listens (webhooks and emails live in the ``events`` app, which reads these rows).
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from clicknback.outbox.models import Event
from clicknback.rows import RowWriter, Write

PURCHASE_TYPES = (
    "purchase.created",
    "purchase.confirmed",
    "purchase.rejected",
    "purchase.reversed",
    "purchase.returned",
)
PAYOUT_TYPES = (
    "payout.requested",
    "payout.processing",
    "payout.completed",
    "payout.failed",
    "payout.cancelled",
    "payout.returned",
)
EVENT_TYPES = PURCHASE_TYPES + PAYOUT_TYPES

_writer = RowWriter(Event)


def event_row(
    *,
    type: str,
    resource_type: str,
    resource_id: uuid.UUID,
    data: Mapping[str, Any],
    user_id: uuid.UUID | None = None,
    partner_id: uuid.UUID | None = None,
) -> Event:
    """The event of a change, not yet written (``events_inserting`` builds its INSERT)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}.")
    return Event(
        type=type,
        resource_type=resource_type,
        resource_id=resource_id,
        user_id=user_id,
        partner_id=partner_id,
        data=dict(data),
    )


def events_inserting(rows: Sequence[Event]) -> Write:
    """The INSERT of event rows, for the caller's ``send_together`` (one statement for a batch)."""
    return _writer.inserting(rows)


def events_record(rows: Sequence[Event]) -> Sequence[Event]:
    """Insert event rows now, in the caller's transaction."""
    return _writer.insert(rows)
