"""Back office for partners: pages render, and every change (partner, key, secret) goes
through ``partners.services`` as the admin; a new key or secret is shown once."""

import re

import pytest
from django.urls import reverse

from clicknback.audit.models import AuditLog
from merchants.tests.factories import MerchantFactory
from partners.models import Partner, PartnerAPIKey
from partners.tests.conftest import key_client
from partners.tests.factories import PartnerFactory, create_key, partner_purchase

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def inline(*keys) -> dict[str, str]:
    """The management form of the partner page's read-only key inline."""
    data = {"api_keys-TOTAL_FORMS": str(len(keys)), "api_keys-INITIAL_FORMS": str(len(keys))}
    for index, key_row in enumerate(keys):
        data[f"api_keys-{index}-id"] = str(key_row.pk)
        data[f"api_keys-{index}-partner"] = str(key_row.partner_id)
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    "name",
    ["admin:partners_partner_changelist", "admin:partners_partnerapikey_changelist", "admin:partners_partner_add"],
)
def test_pages_render(staff_client, partner, partner_key_row, name):
    assert staff_client.get(reverse(name)).status_code == 200


def test_changelist_filters_and_search_render(staff_client, partner, partner_key_row):
    partners_url = reverse("admin:partners_partner_changelist")
    keys_url = reverse("admin:partners_partnerapikey_changelist")
    assert partner.name in staff_client.get(partners_url, {"q": partner.name}).content.decode()
    assert staff_client.get(partners_url, {"active__exact": "1"}).status_code == 200
    assert staff_client.get(keys_url, {"revoked__exact": "0"}).status_code == 200
    assert staff_client.get(keys_url, {"partner__id__exact": str(partner.pk)}).status_code == 200
    assert partner_key_row.prefix in staff_client.get(keys_url, {"q": partner_key_row.prefix}).content.decode()


def test_the_partner_page_shows_its_keys_but_never_a_key_or_secret(staff_client, partner, partner_key):
    # given
    from partners.tests.factories import set_postback_secret

    secret = set_postback_secret(partner)
    # when
    response = staff_client.get(reverse("admin:partners_partner_change", args=[partner.pk]))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert partner_key.partition(".")[0] in page
    assert partner_key.partition(".")[2] not in page
    assert secret not in page


def test_the_key_page_renders_read_only(staff_client, partner_key_row, partner_key):
    response = staff_client.get(reverse("admin:partners_partnerapikey_change", args=[partner_key_row.pk]))
    assert response.status_code == 200
    assert partner_key.partition(".")[2] not in response.content.decode()


def test_a_purchase_page_shows_its_partner_and_returns(staff_client, partner, partner_client, user):
    # given
    purchase = partner_purchase(partner, user, external_id="adm-1")
    partner_client.post(
        "/api/v1/partner/purchases/adm-1/returns",
        {"return_id": "RET-77", "amount": "10.00", "reason": "One back"},
        format="json",
    )
    # when
    response = staff_client.get(reverse("admin:purchases_purchase_change", args=[purchase.pk]))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert partner.name in page
    assert "RET-77" in page
    assert "One back" in page
    listing = staff_client.get(reverse("admin:purchases_purchase_changelist"), {"partner__id__exact": str(partner.pk)})
    assert "adm-1" in listing.content.decode()


def test_adding_a_partner_goes_through_the_service(staff_client, admin_user):
    # given
    merchants = [MerchantFactory(), MerchantFactory()]
    # when
    response = staff_client.post(
        reverse("admin:partners_partner_add"),
        {"name": "Back Office Net", "merchants": [str(m.pk) for m in merchants], "active": "on", **inline()},
        follow=True,
    )
    # then
    assert response.status_code == 200
    partner = Partner.objects.get(name="Back Office Net")
    assert set(partner.merchants.all()) == set(merchants)
    row = AuditLog.objects.get(action="partner.created")
    assert (row.actor_type, row.actor_id, row.resource_id) == ("admin", admin_user.pk, str(partner.pk))


def test_adding_a_partner_with_a_taken_name_in_another_case_is_refused(staff_client):
    # given
    PartnerFactory(name="Taken Net")
    # when
    response = staff_client.post(
        reverse("admin:partners_partner_add"),
        {"name": "taken net", "merchants": [str(MerchantFactory().pk)], **inline()},
    )
    # then: the form is shown again with the error
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Partner.objects.filter(name__iexact="taken net").count() == 1


def test_deactivating_a_partner_in_the_back_office_stops_its_keys(
    staff_client, partner, merchant, partner_key_row, partner_client
):
    # given
    assert partner_client.get("/api/v1/partner/purchases").status_code == 200
    # when
    response = staff_client.post(
        reverse("admin:partners_partner_change", args=[partner.pk]),
        {"name": partner.name, "merchants": [str(merchant.pk)], **inline(partner_key_row)},  # "active" unchecked
        follow=True,
    )
    # then
    assert response.status_code == 200
    partner.refresh_from_db()
    assert partner.active is False
    assert partner_client.get("/api/v1/partner/purchases").status_code == 401
    assert AuditLog.objects.get(action="partner.edited").details["active"] == {"old": True, "new": False}


def test_adding_a_key_shows_it_once_and_it_works(staff_client, admin_user, partner):
    # when
    response = staff_client.post(
        reverse("admin:partners_partnerapikey_add"), {"partner": str(partner.pk), "name": "office"}, follow=True
    )
    # then
    assert response.status_code == 200
    (shown,) = [m for m in messages_of(response) if "copy it now" in m]
    key = re.search(r"is: (\S+)", shown).group(1)
    key_row = PartnerAPIKey.objects.get(name="office")
    assert key.startswith(key_row.prefix + ".")
    assert key_client(key).get("/api/v1/partner/purchases").status_code == 200
    again = staff_client.get(reverse("admin:partners_partnerapikey_change", args=[key_row.pk]))
    assert key.partition(".")[2] not in again.content.decode()
    row = AuditLog.objects.get(action="api_key.created")
    assert (row.actor_type, row.actor_id) == ("admin", admin_user.pk)


def test_the_revoke_action_revokes_through_the_service(
    staff_client, admin_user, partner, partner_key_row, partner_client
):
    # given
    second_row, second_key = create_key(partner, name="second")
    # when
    response = staff_client.post(
        reverse("admin:partners_partnerapikey_changelist"),
        {"action": "revoke", "_selected_action": [str(partner_key_row.pk), str(second_row.pk)]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    assert partner_client.get("/api/v1/partner/purchases").status_code == 401
    assert key_client(second_key).get("/api/v1/partner/purchases").status_code == 401
    rows = AuditLog.objects.filter(action="api_key.revoked")
    assert rows.count() == 2
    assert {(row.actor_type, row.actor_id) for row in rows} == {("admin", admin_user.pk)}


def test_the_rotate_action_shows_the_new_secret_once(staff_client, partner):
    # when
    response = staff_client.post(
        reverse("admin:partners_partner_changelist"),
        {"action": "rotate_postback_secret", "_selected_action": [str(partner.pk)]},
        follow=True,
    )
    # then
    partner.refresh_from_db()
    assert partner.postback_secret
    assert any(partner.postback_secret in message for message in messages_of(response))
    page = staff_client.get(reverse("admin:partners_partner_change", args=[partner.pk])).content.decode()
    assert partner.postback_secret not in page


def test_partners_and_keys_cannot_be_deleted(staff_client, partner, partner_key_row):
    assert staff_client.get(reverse("admin:partners_partner_delete", args=[partner.pk])).status_code == 403
    assert (
        staff_client.get(reverse("admin:partners_partnerapikey_delete", args=[partner_key_row.pk])).status_code == 403
    )
