import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from clicknback.audit.models import AppendOnlyError, AuditLog
from clicknback.audit.services import SYSTEM, Actor, audit_record

URL = "/api/v1/admin/audit-logs"


def record(action="merchant.created", resource_type="merchant", resource_id=None, actor=SYSTEM):
    return audit_record(
        actor=actor, action=action, resource_type=resource_type, resource_id=resource_id or uuid.uuid4()
    )


@pytest.mark.django_db
def test_raw_sql_update_of_an_audit_row_is_refused_by_the_database():
    # given
    row = record()
    # when / then
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditlog SET action = 'tampered' WHERE id = %s", [row.pk])
    assert AuditLog.objects.get(pk=row.pk).action == "merchant.created"


@pytest.mark.django_db
def test_raw_sql_delete_of_an_audit_row_is_refused_by_the_database():
    # given
    row = record()
    # when / then
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditlog WHERE id = %s", [row.pk])
    assert AuditLog.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_orm_refuses_to_update_or_delete_audit_rows():
    # given
    row = record()
    # when / then
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(pk=row.pk).delete()
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


@pytest.mark.django_db
def test_admin_lists_audit_rows_newest_first_with_the_contract_fields(admin_client):
    # given
    older = record()
    newer = record()
    # when
    response = admin_client.get(URL)
    # then
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [str(newer.pk), str(older.pk)]
    assert body["pagination"] == {"offset": 0, "limit": 10, "total": 2}
    assert set(body["data"][0]) == {
        "id",
        "occurred_at",
        "actor_type",
        "actor_id",
        "action",
        "resource_type",
        "resource_id",
        "outcome",
        "details",
        "request_id",
    }


@pytest.mark.django_db
def test_audit_list_filters_by_action_resource_and_actor(admin_client, admin_user):
    # given
    resource_id = uuid.uuid4()
    wanted = record(
        action="offer.activated", resource_type="offer", resource_id=resource_id, actor=Actor.of(admin_user)
    )
    record(action="offer.activated", resource_type="offer")
    record(action="offer.deactivated", resource_type="offer", resource_id=resource_id)
    # when
    response = admin_client.get(
        URL,
        {
            "action": "offer.activated",
            "resource_type": "offer",
            "resource_id": str(resource_id),
            "actor_id": str(admin_user.pk),
        },
    )
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(wanted.pk)]
    assert response.json()["data"][0]["actor_type"] == "admin"


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"actor_id": "not-a-uuid"}, {"limit": "0"}, {"offset": "-2"}])
def test_audit_list_with_bad_filters_is_422(admin_client, params):
    # when
    response = admin_client.get(URL, params)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.django_db
def test_audit_list_runs_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    # given
    for _ in range(10):
        record()
    # when / then
    with django_assert_max_num_queries(4):
        response = admin_client.get(URL)
    assert len(response.json()["data"]) == 10


@pytest.mark.django_db
def test_audit_row_carries_the_request_id_of_the_api_call(admin_client):
    # when
    response = admin_client.post(
        "/api/v1/merchants",
        {"name": "Traced", "default_cashback_percentage": "1"},
        format="json",
        HTTP_X_REQUEST_ID="trace-123",
    )
    # then
    assert AuditLog.objects.get(resource_id=response.json()["id"]).request_id == "trace-123"


@pytest.mark.django_db
def test_a_failed_state_change_leaves_no_audit_row(admin_client):
    # given
    admin_client.post("/api/v1/merchants", {"name": "Once", "default_cashback_percentage": "1"}, format="json")
    # when
    admin_client.post("/api/v1/merchants", {"name": "ONCE", "default_cashback_percentage": "1"}, format="json")
    # then
    assert AuditLog.objects.filter(action="merchant.created").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"action": "a\x00b"}, {"resource_id": "x" * 300}])
def test_audit_list_with_unusable_text_filters_is_422_not_500(admin_client, params):
    # when
    response = admin_client.get(URL, params)
    # then
    assert response.status_code == 422


@pytest.mark.django_db
def test_audit_list_filters_by_actor_type_and_time_window(admin_client, admin_user):
    # given
    first = record(actor=Actor.of(admin_user))
    middle = record(actor=Actor.of(admin_user))
    record(actor=Actor.of(admin_user))
    record()
    # when
    by_type = admin_client.get(URL, {"actor_type": "system"})
    window = admin_client.get(
        URL,
        {
            "actor_type": "admin",
            "occurred_from": first.occurred_at.isoformat(),
            "occurred_to": middle.occurred_at.isoformat(),
        },
    )
    # then
    assert [item["actor_type"] for item in by_type.json()["data"]] == ["system"]
    assert [item["id"] for item in window.json()["data"]] == [str(middle.pk), str(first.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"actor_type": "robot"}, "actor_type"),
        ({"occurred_from": "yesterday"}, "occurred_from"),
        ({"occurred_from": "2026-05-02T00:00:00Z", "occurred_to": "2026-05-01T00:00:00Z"}, "occurred_from"),
    ],
)
def test_audit_list_with_a_bad_actor_type_or_window_is_422(admin_client, params, field):
    # when
    response = admin_client.get(URL, params)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == field
