import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from clicknback.api.pagination import OffsetLimitPagination, SmallPagination
from clicknback.errors import ValidationFailed
from users.models import User
from users.tests.factories import UserFactory


def _request(query: str = "") -> Request:
    return Request(RequestFactory().get(f"/x?{query}"))


@pytest.mark.django_db
def test_pages_report_offset_limit_and_total():
    # given
    UserFactory.create_batch(5)
    paginator = OffsetLimitPagination()
    # when
    page = paginator.paginate_queryset(User.objects.order_by("email"), _request("offset=1&limit=2"))
    body = paginator.get_paginated_response([u.email for u in page]).data
    # then
    assert body["pagination"] == {"offset": 1, "limit": 2, "total": 5}
    assert len(body["data"]) == 2


@pytest.mark.django_db
def test_default_limits_follow_the_contract():
    paginator, small = OffsetLimitPagination(), SmallPagination()
    paginator.paginate_queryset(User.objects.all(), _request())
    small.paginate_queryset(User.objects.all(), _request())
    assert (paginator.limit, small.limit) == (20, 10)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "offset=-1", "limit=abc", "offset=1.5", "offset=927111191521875431339851776"]
)
def test_out_of_range_paging_is_a_validation_error(query):
    with pytest.raises(ValidationFailed) as excinfo:
        OffsetLimitPagination().paginate_queryset(User.objects.all(), _request(query))
    assert excinfo.value.details["violations"][0]["field"] in {"limit", "offset"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    ["１０", "١٠", "۱۰", "+5", " 5", "5 ", "1_0", "5.0", "1e2", "0x10", "\u0665", "٣", "5%0A", "-0", "9" * 5000],
)
@pytest.mark.parametrize("name", ["offset", "limit"])
def test_paging_takes_ascii_digits_only(name, value):
    # when
    with pytest.raises(ValidationFailed) as excinfo:
        OffsetLimitPagination().paginate_queryset(User.objects.all(), _request(f"{name}={value}".replace("+", "%2B")))
    # then
    assert excinfo.value.details["violations"][0]["field"] == name


@pytest.mark.django_db
def test_leading_zeros_are_still_a_number():
    paginator = OffsetLimitPagination()
    paginator.paginate_queryset(User.objects.all(), _request("offset=0003&limit=00000000000000000010"))
    assert (paginator.offset, paginator.limit) == (3, 10)
