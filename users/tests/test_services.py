import pytest

from clicknback.audit.models import AuditLog
from clicknback.audit.services import Actor
from clicknback.errors import NotFound
from users.errors import CannotDeactivateSelf, EmailAlreadyRegistered, PasswordNotComplexEnough
from users.models import RefreshTokenRecord, Role
from users.services import auth_login, user_create, user_register, user_set_active
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_creates_another_admin_with_staff_flags_in_step(admin_user):
    # when
    created = user_create(email="Boss@Example.com", password=PASSWORD, role=Role.ADMIN, actor=Actor.admin(admin_user))
    # then
    assert (created.email, created.role, created.is_staff, created.is_superuser) == (
        "boss@example.com",
        "admin",
        True,
        True,
    )
    row = AuditLog.objects.get(resource_id=str(created.pk))
    assert (row.action, row.actor_type, row.actor_id) == ("user.created", "admin", admin_user.pk)


def test_user_create_applies_the_password_rules(admin_user):
    # when / then
    with pytest.raises(PasswordNotComplexEnough):
        user_create(email="x@example.com", password="weak", role=Role.USER, actor=Actor.admin(admin_user))


def test_register_refuses_a_taken_email_without_an_audit_row():
    # given
    user_register(email="a@example.com", password=PASSWORD)
    # when / then
    with pytest.raises(EmailAlreadyRegistered):
        user_register(email="A@example.com", password=PASSWORD)
    assert AuditLog.objects.filter(action="user.registered").count() == 1


def test_deactivation_revokes_open_refresh_tokens_and_is_audited(admin_user):
    # given
    user = UserFactory()
    auth_login(email=user.email, password=PASSWORD)
    # when
    user_set_active(user_id=user.pk, active=False, actor=Actor.admin(admin_user))
    # then
    user.refresh_from_db()
    assert user.is_active is False
    assert RefreshTokenRecord.objects.get(user=user).revoked_at is not None
    row = AuditLog.objects.get(action="user.deactivated")
    assert (row.resource_id, row.actor_id, row.details["refresh_tokens_revoked"]) == (str(user.pk), admin_user.pk, 1)


def test_deactivating_an_inactive_user_changes_nothing(admin_user):
    # given
    user = UserFactory(is_active=False)
    # when
    user_set_active(user_id=user.pk, active=False, actor=Actor.admin(admin_user))
    # then
    assert not AuditLog.objects.exists()


def test_reactivation_is_audited(admin_user):
    # given
    user = UserFactory(is_active=False)
    # when
    user_set_active(user_id=user.pk, active=True, actor=Actor.admin(admin_user))
    # then
    user.refresh_from_db()
    assert user.is_active is True
    assert AuditLog.objects.filter(action="user.activated").count() == 1


def test_an_admin_cannot_deactivate_themself(admin_user):
    # when / then
    with pytest.raises(CannotDeactivateSelf):
        user_set_active(user_id=admin_user.pk, active=False, actor=Actor.admin(admin_user))
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


def test_unknown_user_is_not_found(admin_user):
    # when / then
    with pytest.raises(NotFound):
        user_set_active(user_id="not-a-uuid", active=False, actor=Actor.admin(admin_user))
