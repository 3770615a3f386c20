"""filter_query / filter_parameters: list filters as FilterSets, refused with the 422 envelope."""

import datetime as dt

import django_filters
import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from clicknback.api.exceptions import render_exception
from clicknback.api.filtering import (
    BooleanFilter,
    ChoiceFilter,
    DateFilter,
    DateTimeFilter,
    FilterForm,
    TextFilter,
    UUIDFilter,
    filter_parameters,
    filter_query,
)
from clicknback.errors import Conflict, ValidationFailed
from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory


class WindowForm(FilterForm):
    ordered = (("since", "until"),)


class SampleFilter(django_filters.FilterSet):
    active = BooleanFilter()
    name = TextFilter()
    kind = ChoiceFilter(choices=[("a", "A"), ("b", "B")])
    owner = UUIDFilter(field_name="id")
    since = DateFilter(field_name="created_at__date", lookup_expr="gte")
    until = DateFilter(field_name="created_at__date", lookup_expr="lte")
    at = DateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        form = WindowForm


def request_for(params: dict) -> Request:
    return Request(APIRequestFactory().get("/anything", params))


def refusal(params: dict, filterset_class=SampleFilter) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as excinfo:
        filter_query(filterset_class, request_for(params), Merchant.objects.all())
    return excinfo.value


def test_a_bad_value_is_a_422_validation_error_naming_the_parameter():
    # when
    error = refusal({"active": "yes please"})
    status, body, _ = render_exception(error)
    # then
    assert status == 422
    assert body == {
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "active: Must be true or false.",
            "details": {"violations": [{"field": "active", "reason": "Must be true or false."}]},
        }
    }


def test_every_bad_parameter_is_listed_in_the_filtersets_order():
    # when
    error = refusal({"owner": "nope", "kind": "c", "active": "maybe"})
    # then
    assert [v["field"] for v in error.details["violations"]] == ["active", "kind", "owner"]
    assert error.details["violations"][1]["reason"] == "Must be one of: a, b."
    assert error.message == "The query parameters are not valid."


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"owner": "123"}, "owner"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "05/01/2026"}, "since"),
        ({"since": "2026-5-1"}, "since"),
        ({"at": "yesterday"}, "at"),
        ({"name": "x" * 256}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"kind": "A"}, "kind"),
        ({"active": "yes"}, "active"),
    ],
)
def test_values_outside_the_contract_are_refused(params, field):
    assert refusal(params).details["violations"][0]["field"] == field


def test_a_reversed_window_is_refused_on_its_lower_bound():
    # when
    error = refusal({"since": "2026-05-02", "until": "2026-05-01"})
    # then
    assert error.details["violations"] == [{"field": "since", "reason": "Must not be after until."}]


def test_a_filterset_can_give_a_parameter_its_own_error_code():
    # given
    class CodedFilter(SampleFilter):
        domain_errors = {"kind": lambda raw: Conflict(f"no kind {raw}")}

    # when
    with pytest.raises(Conflict) as excinfo:
        filter_query(CodedFilter, request_for({"kind": "zzz", "active": "bad"}), Merchant.objects.all())
    # then: the coded error wins over the other violations
    assert excinfo.value.message == "no kind zzz"


@pytest.mark.django_db
def test_blank_or_absent_parameters_mean_no_filter():
    # given
    MerchantFactory(active=True)
    MerchantFactory(active=False)
    # when
    filters = filter_query(SampleFilter, request_for({"active": " ", "kind": "", "owner": ""}), Merchant.objects.all())
    # then
    assert filters.qs.count() == 2
    assert filters.form.cleaned_data["active"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False)]
)
def test_booleans_are_read_strictly_and_filter_the_queryset(raw, expected):
    # given
    MerchantFactory(active=True)
    MerchantFactory(active=False)
    # when
    filters = filter_query(SampleFilter, request_for({"active": raw}), Merchant.objects.all())
    # then
    assert filters.form.cleaned_data["active"] is expected
    assert [m.active for m in filters.qs] == [expected]


def test_cleaned_values_are_typed_for_a_hand_written_query():
    # when
    filters = filter_query(
        SampleFilter,
        request_for({"since": "2026-05-01", "at": "2026-11-21T10:15:00Z", "kind": " a ", "name": "  x  "}),
        Merchant.objects.all(),
    )
    # then
    cleaned = filters.form.cleaned_data
    assert cleaned["since"] == dt.date(2026, 5, 1)
    assert cleaned["at"] == dt.datetime(2026, 11, 21, 10, 15, tzinfo=dt.UTC)
    assert (cleaned["kind"], cleaned["name"]) == ("a", "x")


def test_a_time_without_an_offset_is_utc():
    # when
    filters = filter_query(SampleFilter, request_for({"at": "2026-11-21T10:15:00"}), Merchant.objects.all())
    # then
    assert filters.form.cleaned_data["at"] == dt.datetime(2026, 11, 21, 10, 15, tzinfo=dt.UTC)


def test_the_schema_parameters_are_derived_from_the_filters():
    # when
    parameters = {p.name: p for p in filter_parameters(SampleFilter)}
    # then
    assert list(parameters) == ["active", "name", "kind", "owner", "since", "until", "at"]
    assert parameters["active"].type == {"type": "boolean"}
    assert parameters["name"].type == {"type": "string", "maxLength": 255}
    assert parameters["kind"].enum == ["a", "b"]
    assert parameters["owner"].type == {"type": "string", "format": "uuid"}
    assert parameters["since"].type == {"type": "string", "format": "date"}
    assert parameters["at"].type == {"type": "string", "format": "date-time"}
    assert all(p.location == "query" and not p.required for p in parameters.values())


def test_a_filter_the_schema_cannot_describe_is_refused_early():
    # given
    class Loose(django_filters.FilterSet):
        count = django_filters.NumberFilter()

    # when / then
    with pytest.raises(TypeError):
        filter_parameters(Loose)


@pytest.mark.django_db
def test_the_api_schema_lists_every_list_filter(client):
    # when
    schema = client.get("/api/schema/?format=json").json()
    # then
    expected = {
        "/api/v1/merchants/": {"active"},
        "/api/v1/offers/": {"status", "merchant_id", "date_from", "date_to"},
        "/api/v1/purchases/": {"status", "user_id", "merchant_id", "start_date", "end_date"},
        "/api/v1/users/me/purchases/": {"status"},
        "/api/v1/users/payouts/": {"status"},
        "/api/v1/admin/payouts/": {"status", "user_id"},
        "/api/v1/feature-flags/": {"key", "scope_type", "scope_id"},
        "/api/v1/admin/audit-logs/": {
            "action",
            "resource_type",
            "resource_id",
            "actor_id",
            "actor_type",
            "occurred_from",
            "occurred_to",
        },
    }
    for path, names in expected.items():
        query = {p["name"] for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert query == names | {"offset", "limit"}, path
