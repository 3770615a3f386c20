import pytest

from clicknback.audit.models import AuditLog
from tests.support.race import outcome, run_together
from users.models import User
from users.services import user_register
from users.tests.factories import PASSWORD


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_create_one_account():
    # when
    results = run_together(
        5, lambda i: user_register(email="Race@Example.com" if i % 2 else "race@example.com", password=PASSWORD)
    )
    # then
    assert sorted(map(outcome, results)) == ["EMAIL_ALREADY_REGISTERED"] * 4 + ["ok"]
    assert User.objects.filter(email="race@example.com").count() == 1
    assert AuditLog.objects.filter(action="user.registered").count() == 1
