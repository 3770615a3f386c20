"""The event outbox (contract §14): one row per purchase or payout transition.

Written in the transaction of the change it describes, so an event exists if and only
if its change committed. The relay (``events``) turns waiting rows (``relayed_at`` is
null) into webhook deliveries and emails, and marks them relayed.
"""

import uuid

from django.db import models
from django.utils import timezone


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(default=timezone.now)
    # The resource the event is about: ordering is kept per resource (a purchase's events in order).
    resource_type = models.CharField(max_length=32)
    resource_id = models.UUIDField()
    # Who may hear of it: the user it concerns and, for a partner's purchase, the partner.
    user_id = models.UUIDField(null=True, blank=True)
    partner_id = models.UUIDField(null=True, blank=True)
    # The resource as it stood after the change (§6 or §9 shape).
    data = models.JSONField(default=dict)
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["resource_type", "resource_id", "occurred_at"], name="outbox_event_resource"),
            models.Index(
                fields=["occurred_at"], name="outbox_event_waiting", condition=models.Q(relayed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.resource_id}"
