"""Partners (contract §13): integration accounts linked to merchants, and their API keys.

Keys come from djangorestframework-api-key: ``<prefix>.<secret>``, of which only the
prefix and a SHA-512 hash are stored. Its model is kept, with a UUID primary key (the
contract's ids are UUIDs) instead of the library's ``prefix.hash`` one, and the
revocation time and last use that the contract shows.
"""

import uuid

from django.db import models
from django.db.models.functions import Lower
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager


class Partner(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    merchants = models.ManyToManyField("merchants.Merchant", related_name="partners")
    active = models.BooleanField(default=True)
    # The HMAC key of the partner's postbacks (§13). It must be readable to check a
    # signature, so it is stored as given; it is shown once and replaced, never listed.
    postback_secret = models.CharField(max_length=128, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="partner_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class PartnerAPIKeyManager(APIKeyManager):
    def assign_key(self, obj: AbstractAPIKey) -> str:
        """A new key for ``obj``: the prefix and hash are set, the primary key stays a UUID."""
        key, prefix, hashed_key = self.key_generator.generate()
        obj.prefix = prefix
        obj.hashed_key = hashed_key
        return key


class PartnerAPIKey(AbstractAPIKey):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # type: ignore[assignment]
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PartnerAPIKeyManager()  # type: ignore[misc]

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "partner API key"
        verbose_name_plural = "partner API keys"
        ordering = ("-created", "-id")  # type: ignore[assignment]
        indexes = [models.Index(fields=["partner", "-created"], name="partner_key_created")]
