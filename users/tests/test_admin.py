"""Back-office smoke tests: pages render; actions and add forms go through the services."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM, audit_record
from clicknback.flags.models import FeatureFlag, ScopeType
from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory
from offers.models import Offer, OfferStatus
from offers.tests.factories import OfferFactory
from users.models import Role, User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def add_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def one_of_each(admin_user):
    offer = OfferFactory()
    flag = FeatureFlag.objects.create(key="purchase_auto_confirm", enabled=True)
    row = audit_record(actor=SYSTEM, action="merchant.created", resource_type="merchant", resource_id=offer.merchant_id)
    return {User: admin_user, Merchant: offer.merchant, Offer: offer, FeatureFlag: flag, AuditLog: row}


@pytest.mark.parametrize("model", [User, Merchant, Offer, FeatureFlag, AuditLog])
def test_changelist_renders(staff_client, one_of_each, model):
    # when
    response = staff_client.get(changelist(model))
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("model", [User, Merchant, Offer, FeatureFlag, AuditLog])
def test_change_page_renders(staff_client, one_of_each, model):
    # when
    response = staff_client.get(change_url(one_of_each[model]))
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("model", [User, Merchant, Offer, FeatureFlag])
def test_add_page_renders(staff_client, model):
    # when
    response = staff_client.get(add_url(model))
    # then
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (User, {"q": "example", "role__exact": "admin", "is_active__exact": "1"}),
        (Merchant, {"q": "Merchant", "active__exact": "1"}),
        (Offer, {"q": "Merchant", "status__exact": "active", "cashback_type__exact": "percent"}),
        (FeatureFlag, {"q": "purchase", "scope_type__exact": "global"}),
        (AuditLog, {"q": "merchant.created", "actor_type__exact": "system"}),
    ],
)
def test_search_and_filters_render(staff_client, one_of_each, model, params):
    # when
    response = staff_client.get(changelist(model), params)
    # then
    assert response.status_code == 200


def test_site_is_branded(staff_client):
    # when
    response = staff_client.get(reverse("admin:index"))
    # then
    assert b"ClickNBack back office" in response.content


def test_audit_log_is_read_only_in_the_back_office(staff_client, one_of_each):
    # when
    add = staff_client.get(add_url(AuditLog))
    delete = staff_client.get(
        reverse("admin:audit_auditlog_delete", args=[one_of_each[AuditLog].pk]),
    )
    post = staff_client.post(change_url(one_of_each[AuditLog]), {"action": "tampered"})
    # then
    assert add.status_code == 403
    assert delete.status_code == 403
    assert post.status_code == 403
    assert AuditLog.objects.get(pk=one_of_each[AuditLog].pk).action == "merchant.created"


def test_merchant_autocomplete_for_offers_answers(staff_client):
    # given
    MerchantFactory(name="Shoply")
    # when
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "offers", "model_name": "offer", "field_name": "merchant", "term": "Sho"},
    )
    # then
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["Shoply"]


# --- actions ----------------------------------------------------------------


def run_action(client, model, action, objects):
    return client.post(
        changelist(model), {"action": action, "_selected_action": [str(obj.pk) for obj in objects]}, follow=True
    )


def test_deactivate_merchants_action_is_audited_as_admin(staff_client, admin_user):
    # given
    merchants = MerchantFactory.create_batch(2)
    # when
    response = run_action(staff_client, Merchant, "deactivate_merchants", merchants)
    # then
    assert response.status_code == 200
    assert not Merchant.objects.filter(active=True).exists()
    rows = AuditLog.objects.filter(action="merchant.deactivated")
    assert rows.count() == 2
    assert {(row.actor_type, row.actor_id) for row in rows} == {("admin", admin_user.pk)}


def test_activate_merchants_action(staff_client):
    # given
    merchant = MerchantFactory(active=False)
    # when
    run_action(staff_client, Merchant, "activate_merchants", [merchant])
    # then
    merchant.refresh_from_db()
    assert merchant.active is True
    assert AuditLog.objects.filter(action="merchant.activated").count() == 1


def test_offer_actions_activate_and_deactivate(staff_client, admin_user):
    # given
    offer = OfferFactory()
    # when
    run_action(staff_client, Offer, "deactivate_offers", [offer])
    run_action(staff_client, Offer, "activate_offers", [offer])
    # then
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACTIVE
    assert list(AuditLog.objects.order_by("occurred_at").values_list("action", "actor_type")) == [
        ("offer.deactivated", "admin"),
        ("offer.activated", "admin"),
    ]


def test_refused_offer_activation_shows_an_error_not_a_500(staff_client):
    # given
    active = OfferFactory()
    other = OfferFactory(merchant=active.merchant, status=OfferStatus.INACTIVE)
    # when
    response = run_action(staff_client, Offer, "activate_offers", [other])
    # then
    assert response.status_code == 200
    assert b"overlaps these dates" in response.content
    other.refresh_from_db()
    assert other.status == OfferStatus.INACTIVE
    assert not AuditLog.objects.exists()


def test_deactivate_users_action_revokes_and_audits(staff_client, admin_user):
    # given
    user = UserFactory()
    # when
    run_action(staff_client, User, "deactivate_users", [user])
    # then
    user.refresh_from_db()
    assert user.is_active is False
    row = AuditLog.objects.get(action="user.deactivated")
    assert (row.actor_type, row.actor_id) == ("admin", admin_user.pk)


def test_admin_cannot_deactivate_themself_from_the_back_office(staff_client, admin_user):
    # when
    response = run_action(staff_client, User, "deactivate_users", [admin_user])
    # then
    assert response.status_code == 200
    assert b"cannot deactivate your own account" in response.content
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


# --- add forms --------------------------------------------------------------


def test_add_admin_through_the_back_office(staff_client, admin_user):
    # when
    response = staff_client.post(
        add_url(User), {"email": "New.Admin@Example.com", "role": "admin", "new_password": PASSWORD}
    )
    # then
    assert response.status_code == 302
    created = User.objects.get(email="new.admin@example.com")
    assert (created.role, created.is_staff, created.is_superuser) == (Role.ADMIN, True, True)
    assert created.check_password(PASSWORD)
    row = AuditLog.objects.get(action="user.created")
    assert (row.actor_type, row.actor_id) == ("admin", admin_user.pk)


def test_add_user_with_weak_password_shows_the_rule(staff_client):
    # when
    response = staff_client.post(add_url(User), {"email": "weak@example.com", "role": "user", "new_password": "weak"})
    # then
    assert response.status_code == 200
    assert b"at least 8 characters" in response.content
    assert not User.objects.filter(email="weak@example.com").exists()


def test_add_user_with_taken_email_shows_an_error(staff_client):
    # given
    UserFactory(email="taken@example.com")
    # when
    response = staff_client.post(
        add_url(User), {"email": "taken@example.com", "role": "user", "new_password": PASSWORD}
    )
    # then
    assert response.status_code == 200
    assert b"already registered" in response.content


def test_add_merchant_through_the_back_office_is_audited(staff_client):
    # when
    response = staff_client.post(
        add_url(Merchant), {"name": "Back Office Shop", "default_cashback_percentage": "4.00", "active": "on"}
    )
    # then
    assert response.status_code == 302
    merchant = Merchant.objects.get(name="Back Office Shop")
    assert AuditLog.objects.get(action="merchant.created").resource_id == str(merchant.pk)


def test_add_merchant_with_a_taken_name_shows_an_error(staff_client):
    # given
    MerchantFactory(name="Shoply")
    # when
    response = staff_client.post(add_url(Merchant), {"name": "shoply", "default_cashback_percentage": "4.00"})
    # then
    assert response.status_code == 200
    assert b"already exists" in response.content
    assert Merchant.objects.count() == 1


def test_add_offer_through_the_back_office(staff_client):
    # given
    merchant = MerchantFactory()
    today = timezone.now().date()
    # when
    response = staff_client.post(
        add_url(Offer),
        {
            "merchant": str(merchant.pk),
            "cashback_type": "fixed",
            "cashback_value": "3.00",
            "monthly_cap": "20.00",
            "start_date": today.isoformat(),
            "end_date": (today + dt.timedelta(days=10)).isoformat(),
        },
    )
    # then
    assert response.status_code == 302
    offer = Offer.objects.get(merchant=merchant)
    assert offer.status == OfferStatus.ACTIVE
    assert AuditLog.objects.get(action="offer.created").resource_id == str(offer.pk)


def test_add_offer_breaking_a_rule_shows_the_field_error(staff_client):
    # given
    merchant = MerchantFactory()
    today = timezone.now().date()
    # when
    response = staff_client.post(
        add_url(Offer),
        {
            "merchant": str(merchant.pk),
            "cashback_type": "percent",
            "cashback_value": "5.00",
            "monthly_cap": "20.00",
            "start_date": (today - dt.timedelta(days=1)).isoformat(),
            "end_date": (today + dt.timedelta(days=10)).isoformat(),
        },
    )
    # then
    assert response.status_code == 200
    assert b"Must not be before today" in response.content
    assert not Offer.objects.exists()


def test_add_second_active_offer_shows_an_error(staff_client):
    # given
    existing = OfferFactory()
    today = timezone.now().date()
    # when
    response = staff_client.post(
        add_url(Offer),
        {
            "merchant": str(existing.merchant_id),
            "cashback_type": "percent",
            "cashback_value": "5.00",
            "monthly_cap": "20.00",
            "start_date": today.isoformat(),
            "end_date": today.isoformat(),
        },
    )
    # then
    assert response.status_code == 200
    assert b"overlaps these dates" in response.content
    assert Offer.objects.count() == 1


def test_add_and_change_flag_through_the_back_office(staff_client):
    # given
    merchant_id = uuid.uuid4()
    # when
    created = staff_client.post(
        add_url(FeatureFlag),
        {"key": "purchase_auto_confirm", "scope_type": "merchant", "scope_id": str(merchant_id), "enabled": "on"},
    )
    flag = FeatureFlag.objects.get()
    changed = staff_client.post(change_url(flag), {"description": "off for now"})
    # then
    assert (created.status_code, changed.status_code) == (302, 302)
    flag.refresh_from_db()
    assert (flag.scope_type, flag.scope_id, flag.enabled, flag.description) == (
        ScopeType.MERCHANT,
        merchant_id,
        False,
        "off for now",
    )
    assert AuditLog.objects.filter(action="flag.set", actor_type="admin").count() == 2


def test_add_scoped_flag_without_scope_id_shows_an_error(staff_client):
    # when
    response = staff_client.post(add_url(FeatureFlag), {"key": "x_flag", "scope_type": "user", "enabled": "on"})
    # then
    assert response.status_code == 200
    assert b"Required when scope_type is user" in response.content
    assert not FeatureFlag.objects.exists()


def test_delete_flag_through_the_back_office_is_audited(staff_client):
    # given
    flag = FeatureFlag.objects.create(key="purchase_auto_confirm", enabled=False)
    # when
    response = staff_client.post(
        reverse("admin:flags_featureflag_delete", args=[flag.pk]), {"post": "yes"}, follow=True
    )
    # then
    assert response.status_code == 200
    assert not FeatureFlag.objects.exists()
    assert AuditLog.objects.filter(action="flag.deleted", actor_type="admin").count() == 1


def test_delete_flags_action_is_audited(staff_client):
    # given
    flags = [FeatureFlag.objects.create(key=f"flag_{n}", enabled=True) for n in range(2)]
    # when
    run_action(staff_client, FeatureFlag, "delete_flags", flags)
    # then
    assert not FeatureFlag.objects.exists()
    assert AuditLog.objects.filter(action="flag.deleted").count() == 2


@pytest.mark.parametrize("model", [User])
def test_saving_a_read_only_change_page_changes_nothing(staff_client, one_of_each, model):
    # given
    obj = one_of_each[model]
    # when
    response = staff_client.post(change_url(obj), {"name": "Renamed", "email": "x@example.com", "status": "inactive"})
    # then
    assert response.status_code == 302
    fresh = model.objects.get(pk=obj.pk)
    assert [getattr(fresh, f.attname) for f in model._meta.concrete_fields] == [
        getattr(obj, f.attname) for f in model._meta.concrete_fields
    ]
    assert AuditLog.objects.count() == 1  # only the fixture's row


@pytest.mark.parametrize("model", [Merchant, Offer])
def test_an_editable_change_page_saved_as_it_is_changes_nothing_and_never_the_status(staff_client, one_of_each, model):
    # given: the page's own values sent back, with a status the page does not offer
    obj = one_of_each[model]
    if model is Merchant:
        editable = {"name": obj.name, "default_cashback_percentage": str(obj.default_cashback_percentage)}
    else:
        editable = {"end_date": str(obj.end_date), "monthly_cap": str(obj.monthly_cap),
                    "cashback_value": str(obj.cashback_value), "max_cashback_per_purchase": ""}  # fmt: skip
    # when
    response = staff_client.post(change_url(obj), {**editable, "status": "inactive", "active": ""})
    # then
    assert response.status_code == 302
    fresh = model.objects.get(pk=obj.pk)
    assert [getattr(fresh, f.attname) for f in model._meta.concrete_fields if f.attname != "updated_at"] == [
        getattr(obj, f.attname) for f in model._meta.concrete_fields if f.attname != "updated_at"
    ]
    assert AuditLog.objects.count() == 1  # only the fixture's row: nothing changed


def test_add_flag_with_a_bad_key_shows_an_error(staff_client):
    # when
    response = staff_client.post(add_url(FeatureFlag), {"key": "Bad Key", "scope_type": "global", "enabled": "on"})
    # then
    assert response.status_code == 200
    assert b"lower-case letter" in response.content
    assert not FeatureFlag.objects.exists()
