"""The OpenAPI document lists the errors any operation can answer, whatever its view says."""

import pytest


@pytest.fixture
def operations(client, db):
    schema = client.get("/api/schema/?format=json").json()
    return [
        (f"{method.upper()} {path}", operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_lists_500(operations):
    missing = [name for name, operation in operations if "500" not in operation["responses"]]
    assert not missing


def test_every_operation_with_a_body_lists_413_and_415(operations):
    with_body = [(name, operation) for name, operation in operations if "requestBody" in operation]
    assert len(with_body) >= 12
    missing = [name for name, operation in with_body if not {"413", "415"} <= set(operation["responses"])]
    assert not missing


def test_operations_without_a_body_do_not_list_body_errors(operations):
    listed = [
        name for name, operation in operations if "requestBody" not in operation and "413" in operation["responses"]
    ]
    assert not listed


def test_the_added_errors_are_the_envelope(operations):
    _, operation = next((name, op) for name, op in operations if "413" in op["responses"])
    content = operation["responses"]["413"]["content"]["application/json"]["schema"]
    assert content == {"$ref": "#/components/schemas/ErrorEnvelope"}
