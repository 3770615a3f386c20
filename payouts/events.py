"""The events of payout transitions (contract §14): the payout after the change, §9 shape."""

from clicknback.outbox.models import Event
from clicknback.outbox.services import event_row
from payouts.models import Payout
from payouts.serializers import PayoutOutputSerializer

SOURCE_TYPE = "payout"


def payout_event(payout: Payout) -> Event:
    """The event of the payout's current status (``payout.<status>``), as it stands in memory."""
    return event_row(
        type=f"payout.{payout.status}",
        resource_type=SOURCE_TYPE,
        resource_id=payout.pk,
        user_id=payout.user_id,
        data=PayoutOutputSerializer(payout).data,
    )
