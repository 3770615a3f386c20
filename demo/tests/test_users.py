import io

import pytest
from django.core.management import call_command

from clicknback.audit.models import AuditLog
from demo import users as demo
from users.models import Role, User

pytestmark = pytest.mark.django_db


def test_seed_creates_carol_as_admin_and_three_users_with_the_demo_password():
    # when
    demo.seed()
    # then
    carol = User.objects.get(email="carol@clicknback.com")
    assert carol.role == Role.ADMIN and carol.is_staff and carol.is_superuser
    for email in ("alice@clicknback.com", "bob@clicknback.com", "dave@clicknback.com"):
        user = User.objects.get(email=email)
        assert user.role == Role.USER
        assert user.check_password("Str0ng!Pass")


def test_seed_is_idempotent_and_audited_once_per_account():
    # given
    demo.seed()
    # when
    summary = demo.seed()
    # then
    assert User.objects.count() == 4
    assert summary.startswith("0 users created")
    assert AuditLog.objects.filter(action="user.created").count() == 4


def test_seed_demo_writes_the_logins_for_the_run_banner(tmp_path):
    # when
    call_command("seed_demo", banner_file=str(tmp_path / "banner.txt"), stdout=io.StringIO())
    # then
    assert (tmp_path / "banner.txt").read_text().splitlines()[:3] == [
        "Demo logins (password Str0ng!Pass)",
        "  admin  carol@clicknback.com   (back office and admin API)",
        "  users  alice@clicknback.com, bob@clicknback.com, dave@clicknback.com",
    ]
