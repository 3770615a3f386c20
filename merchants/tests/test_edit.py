"""Editing a merchant (contract §4): the creation rules, 409, and an audit of old and new values."""

import pytest

from clicknback.audit.models import AuditLog
from merchants.tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/merchants"


def test_an_admin_renames_a_merchant_and_the_audit_keeps_old_and_new(admin_client):
    # given
    merchant = MerchantFactory(name="Shoply")
    # when
    response = admin_client.patch(f"{URL}/{merchant.pk}", {"name": "Shoply Plus", "default_cashback_percentage": "7.5"},
                                  format="json")  # fmt: skip
    # then
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["default_cashback_percentage"]) == ("Shoply Plus", "7.50")
    row = AuditLog.objects.get(action="merchant.edited")
    assert row.details["name"] == {"old": "Shoply", "new": "Shoply Plus"}
    assert row.details["default_cashback_percentage"]["new"] == "7.50"


def test_a_name_taken_in_any_case_is_409(admin_client):
    # given
    MerchantFactory(name="QuickCart")
    merchant = MerchantFactory(name="Other")
    # when
    response = admin_client.patch(f"{URL}/{merchant.pk}", {"name": "quickcart"}, format="json")
    # then
    assert response.status_code == 409 and response.json()["error"]["code"] == "MERCHANT_NAME_TAKEN"


@pytest.mark.parametrize("body", [{"name": ""}, {"default_cashback_percentage": "20.01"}, {"name": 5}])
def test_an_edit_follows_the_creation_rules(admin_client, body):
    merchant = MerchantFactory()
    assert admin_client.patch(f"{URL}/{merchant.pk}", body, format="json").status_code == 422


def test_an_edit_that_changes_nothing_writes_no_audit_row(admin_client):
    merchant = MerchantFactory(name="Same")
    assert admin_client.patch(f"{URL}/{merchant.pk}", {"name": "Same"}, format="json").status_code == 200
    assert not AuditLog.objects.filter(action="merchant.edited").exists()


def test_only_admins_edit_merchants(user_client):
    merchant = MerchantFactory()
    assert user_client.patch(f"{URL}/{merchant.pk}", {"name": "Mine"}, format="json").status_code == 403
