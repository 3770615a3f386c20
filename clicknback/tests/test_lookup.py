"""get_object_or_not_found / uuid_or_not_found: an unknown or malformed id is a 404."""

import uuid

import pytest

from clicknback.errors import NotFound
from clicknback.lookup import get_object_or_not_found, uuid_or_not_found
from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory


@pytest.mark.django_db
def test_a_row_is_found_through_its_model_or_a_queryset():
    # given
    merchant = MerchantFactory()
    # when
    by_model = get_object_or_not_found(Merchant, "merchant", pk=merchant.pk)
    by_string = get_object_or_not_found(Merchant.objects.filter(active=True), "merchant", pk=str(merchant.pk))
    name = get_object_or_not_found(Merchant.objects.values_list("name", flat=True), "merchant", pk=merchant.pk)
    # then
    assert by_model == merchant
    assert by_string == merchant
    assert name == merchant.name


@pytest.mark.django_db
def test_an_unknown_id_is_not_found_with_the_resource_in_the_details():
    # given
    missing = uuid.uuid4()
    # when
    with pytest.raises(NotFound) as excinfo:
        get_object_or_not_found(Merchant, "merchant", pk=missing)
    # then
    assert excinfo.value.http_status == 404
    assert excinfo.value.details == {"resource_type": "merchant", "resource_id": str(missing)}


@pytest.mark.django_db
def test_a_row_filtered_out_by_the_queryset_is_not_found():
    # given
    merchant = MerchantFactory(active=False)
    # when / then
    with pytest.raises(NotFound):
        get_object_or_not_found(Merchant.objects.filter(active=True), "merchant", pk=merchant.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("malformed", ["not-a-uuid", "123", "", "g" * 32, 12.5, ["x"]])
def test_a_malformed_id_is_not_found_rather_than_an_error(malformed):
    # when
    with pytest.raises(NotFound) as excinfo:
        get_object_or_not_found(Merchant, "merchant", pk=malformed)
    # then
    assert excinfo.value.details == {"resource_type": "merchant", "resource_id": str(malformed)}


def test_a_lookup_without_any_condition_is_a_programming_error():
    with pytest.raises(TypeError):
        get_object_or_not_found(Merchant, "merchant")


def test_uuid_or_not_found_parses_well_formed_ids():
    # given
    value = uuid.uuid4()
    # when / then
    assert uuid_or_not_found(value, "purchase") is value
    assert uuid_or_not_found(str(value), "purchase") == value
    assert uuid_or_not_found(str(value).upper(), "purchase") == value


@pytest.mark.parametrize("malformed", ["not-a-uuid", "", "1234", None])
def test_uuid_or_not_found_refuses_malformed_ids_as_not_found(malformed):
    # when
    with pytest.raises(NotFound) as excinfo:
        uuid_or_not_found(malformed, "purchase")
    # then
    assert excinfo.value.details == {"resource_type": "purchase", "resource_id": str(malformed)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "resource_type"),
    [
        ("/api/v1/merchants/not-a-uuid", "merchant"),
        ("/api/v1/offers/not-a-uuid", "offer"),
        ("/api/v1/purchases/not-a-uuid", "purchase"),
        ("/api/v1/purchases/not-a-uuid/confirmation", "purchase"),
    ],
)
def test_malformed_ids_in_api_paths_are_404_naming_the_resource(admin_client, path, resource_type):
    # when
    response = admin_client.get(path) if "confirmation" not in path else admin_client.post(path)
    # then
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "NOT_FOUND",
        "message": f"{resource_type} not-a-uuid was not found.",
        "details": {"resource_type": resource_type, "resource_id": "not-a-uuid"},
    }
