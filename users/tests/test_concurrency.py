import threading

import pytest
from django.db import connection

from clicknback.audit.models import AuditLog
from clicknback.errors import DomainError
from users.models import User
from users.services import user_register
from users.tests.factories import PASSWORD


def _together(n, call):
    barrier = threading.Barrier(n)
    results = []

    def worker(index):
        try:
            barrier.wait()
            call(index)
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_create_one_account():
    # when
    results = _together(
        5, lambda i: user_register(email="Race@Example.com" if i % 2 else "race@example.com", password=PASSWORD)
    )
    # then
    assert results == ["EMAIL_ALREADY_REGISTERED"] * 4 + ["ok"]
    assert User.objects.filter(email="race@example.com").count() == 1
    assert AuditLog.objects.filter(action="user.registered").count() == 1
