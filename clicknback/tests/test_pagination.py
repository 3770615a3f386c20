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
