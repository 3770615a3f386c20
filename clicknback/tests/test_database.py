"""How the application talks to PostgreSQL: server-side binding and prepared statements."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from users.models import User

BASE_DIR = Path(__file__).resolve().parents[2]


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_statement_repeated_on_a_connection_is_prepared_on_the_server():
    # given: parameters are bound on the server, so the SQL text is the same every time
    threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold") or 5

    # when
    for _ in range(threshold + 1):
        list(User.objects.filter(email="nobody@example.com"))

    # then
    prepared = [sql for sql in _prepared_statements() if 'FROM "users_user"' in sql]
    assert prepared, "the repeated query was not prepared"
    assert all("nobody@example.com" not in sql for sql in prepared)


def _database_options(**env) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(sorted(settings.DATABASES['default']['OPTIONS'].items()))",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clicknback.settings", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_preparing_can_be_turned_off_for_a_pooler_that_cannot_keep_prepared_statements():
    # when
    options = _database_options(DB_PREPARE_THRESHOLD="0")

    # then
    assert "('prepare_threshold', None)" in options
    assert "('server_side_binding', True)" in options
