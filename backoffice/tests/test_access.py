"""Only active staff reach the back office; anyone else is sent to the admin login."""

import uuid

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/" + settings.ADMIN_URL
BACK_OFFICE_PAGES = [
    f"{ADMIN}dashboard/",
    f"{ADMIN}dashboard/exports/purchases/",
    f"{ADMIN}dashboard/exports/payouts/",
    f"{ADMIN}dashboard/exports/purchases/?date_from=2026-01-01&date_to=2026-12-31",
    f"{ADMIN}dashboard/exports/payouts/?date_from=2026-01-01&date_to=2026-12-31",
]


def every_admin_page() -> list[str]:
    """The index, the back-office pages, and each registered model's list, add and change pages."""
    urls = [ADMIN, *BACK_OFFICE_PAGES]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pk = uuid.uuid4() if model._meta.pk.get_internal_type() == "UUIDField" else 1
        urls += [
            reverse("admin:{}_{}_changelist".format(*info)),
            reverse("admin:{}_{}_add".format(*info)),
            reverse("admin:{}_{}_change".format(*info), args=[pk]),
        ]
    return urls


def assert_sent_to_admin_login(response):
    assert response.status_code == 302, response
    assert response["Location"].startswith(f"{ADMIN}login/")


def test_the_page_list_covers_the_registered_models():
    # given / when
    urls = every_admin_page()

    # then: at least the back office plus the models of the apps that have admins
    assert len(urls) > len(BACK_OFFICE_PAGES) + 1


@pytest.mark.parametrize("url", BACK_OFFICE_PAGES + [ADMIN])
def test_anonymous_visitor_is_sent_to_the_admin_login(url):
    # when
    response = Client().get(url)

    # then
    assert_sent_to_admin_login(response)


def test_a_regular_user_cannot_open_any_admin_page():
    # given
    client = Client()
    client.force_login(UserFactory())

    # when
    refused = {url: client.get(url) for url in every_admin_page()}

    # then
    for url, response in refused.items():
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{ADMIN}login/"), url


def test_a_regular_user_cannot_post_an_admin_action():
    # given
    client = Client()
    client.force_login(UserFactory())

    # when
    response = client.post(
        reverse("admin:payouts_payout_changelist"), {"action": "mark_processing", "_selected_action": [uuid.uuid4()]}
    )

    # then
    assert_sent_to_admin_login(response)


def test_a_regular_user_cannot_sign_in_to_the_admin():
    # given
    UserFactory(email="user@example.com")
    client = Client()

    # when
    client.post(f"{ADMIN}login/", {"username": "user@example.com", "password": "Str0ng!Pass"})

    # then
    assert_sent_to_admin_login(client.get(f"{ADMIN}dashboard/"))


def test_a_deactivated_admin_is_sent_to_the_login():
    # given
    staff = AdminFactory()
    client = Client()
    client.force_login(staff)
    staff.is_active = False
    staff.save(update_fields=["is_active"])

    # when
    response = client.get(f"{ADMIN}dashboard/")

    # then
    assert response.status_code == 302


@pytest.mark.parametrize("url", [ADMIN, *BACK_OFFICE_PAGES[:3]])
def test_staff_open_the_back_office(staff_client, url):
    # when
    response = staff_client.get(url)

    # then
    assert response.status_code == 200


def test_admin_index_links_to_the_dashboard_and_the_exports(staff_client):
    # when
    html = staff_client.get(ADMIN).content.decode()

    # then
    assert f'href="{ADMIN}dashboard/"' in html
    assert f'href="{ADMIN}dashboard/exports/purchases/"' in html
    assert f'href="{ADMIN}dashboard/exports/payouts/"' in html


def test_every_admin_changelist_and_add_page_renders_for_staff(staff_client):
    # given
    pages = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))

    # when
    statuses = {url: staff_client.get(url).status_code for url in pages}

    # then
    assert {url: code for url, code in statuses.items() if code != 200} == {}
