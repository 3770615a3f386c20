"""The demo partner (contract §12 and §13): "Demo Network", linked to Shoply and QuickCart,
created through the services, with one API key that ``make run`` prints.

The demo key is fixed, like the demo password, so that every ``make run`` can print a
key that works: its row is made by ``api_key_create`` and then given the documented demo
key's prefix and hash. Only a hash is stored, as for every key. The demo data is never
loaded in production (``seed_demo`` is a development command).
"""

from clicknback.audit.services import SYSTEM
from merchants.models import Merchant
from partners.models import Partner, PartnerAPIKey
from partners.services import api_key_create, partner_create

DEMO_PARTNER = "Demo Network"
DEMO_MERCHANTS = ("Shoply", "QuickCart")
DEMO_KEY_NAME = "demo key"
DEMO_PARTNER_KEY = "demo0key.DemoPartnerKey-NotASecret-0001"  # documented demo credential
DEMO_PREFIX = DEMO_PARTNER_KEY.split(".", 1)[0]


def seed() -> str:
    partner = Partner.objects.filter(name=DEMO_PARTNER).first()
    created = partner is None
    if partner is None:
        merchants = Merchant.objects.filter(name__in=DEMO_MERCHANTS).values_list("pk", flat=True)
        partner = partner_create(name=DEMO_PARTNER, merchant_ids=list(merchants), actor=SYSTEM)
    if not PartnerAPIKey.objects.filter(prefix=DEMO_PREFIX).exists():
        key_row, _random_key = api_key_create(partner_id=partner.pk, name=DEMO_KEY_NAME, actor=SYSTEM)
        key_row.prefix = DEMO_PREFIX
        key_row.hashed_key = PartnerAPIKey.objects.key_generator.hash(DEMO_PARTNER_KEY)
        key_row.save(update_fields=["prefix", "hashed_key"])
    return "demo partner created" if created else "demo partner already there"


def banner_lines() -> list[str]:
    """The demo partner's key and a first call (``{base}`` is the running server's URL)."""
    return [
        f"Demo partner {DEMO_PARTNER} ({', '.join(DEMO_MERCHANTS)})",
        f"  key    {DEMO_PARTNER_KEY}",
        f'  try    curl -H "Authorization: Api-Key {DEMO_PARTNER_KEY}" {{base}}/api/v1/partner/purchases',
        "  docs   docs/partners.md",
    ]
