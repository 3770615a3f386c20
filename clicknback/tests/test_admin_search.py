"""Every back-office changelist survives the searches and filters an operator types."""

from decimal import Decimal

import pytest
from django.contrib import admin

SEARCHES = ["", "alice", "not-a-uuid", "00000000-0000-4000-8000-000000000000", "%", "' OR 1=1 --"]


@pytest.mark.django_db
@pytest.mark.parametrize("model_admin", list(admin.site._registry.values()), ids=lambda a: a.model.__name__)
def test_changelist_search_never_errors(client, admin_user, model_admin):
    # given
    client.force_login(admin_user)
    opts = model_admin.model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/"
    # when
    statuses = {term: client.get(url, {"q": term}).status_code for term in SEARCHES}
    # then
    assert set(statuses.values()) == {200}, statuses


@pytest.mark.django_db
def test_wallet_changelist_filters_wallets_that_owe(client, admin_user):
    from tests.support.funding import fund_wallet
    from users.tests.factories import UserFactory

    # given
    client.force_login(admin_user)
    owing = fund_wallet(UserFactory(), owed=Decimal("4.00"))
    fund_wallet(UserFactory())
    # when
    response = client.get("/admin/wallets/wallet/", {"owed": "yes"})
    # then
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [owing]
