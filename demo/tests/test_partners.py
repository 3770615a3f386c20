import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from demo import catalog, users
from demo import partners as demo
from partners.models import Partner, PartnerAPIKey

pytestmark = pytest.mark.django_db


def _seed():
    users.seed()
    catalog.seed()
    demo.seed()


def test_the_demo_partner_is_linked_to_shoply_and_quickcart_and_its_printed_key_works():
    # given
    _seed()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {demo.DEMO_PARTNER_KEY}")
    # when
    response = client.get("/api/v1/partner/purchases")
    # then
    assert response.status_code == 200, response.json()
    partner = Partner.objects.get(name="Demo Network")
    assert sorted(partner.merchants.values_list("name", flat=True)) == ["QuickCart", "Shoply"]


def test_the_demo_seed_is_idempotent_and_stores_only_the_key_hash():
    # given
    _seed()
    # when
    summary = demo.seed()
    # then
    assert summary == "demo partner already there"
    assert Partner.objects.count() == 1 and PartnerAPIKey.objects.count() == 1
    key = PartnerAPIKey.objects.get()
    assert demo.DEMO_PARTNER_KEY not in {key.prefix, key.hashed_key, str(key.pk)}


def test_the_banner_prints_the_key_and_a_curl_example(tmp_path):
    # when
    call_command("seed_demo", banner_file=str(tmp_path / "banner.txt"), stdout=io.StringIO())
    # then
    text = (tmp_path / "banner.txt").read_text()
    assert demo.DEMO_PARTNER_KEY in text
    assert 'curl -H "Authorization: Api-Key ' in text and "{base}/api/v1/partner/purchases" in text
