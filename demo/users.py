"""Demo accounts (API contract §12), created through the services. All share one password."""

from clicknback.audit.services import SYSTEM
from users.models import Role, User
from users.services import user_create

DEMO_PASSWORD = "Str0ng!Pass"  # noqa: S105 - documented demo credential
DEMO_USERS = [
    ("carol@clicknback.com", Role.ADMIN),
    ("alice@clicknback.com", Role.USER),
    ("bob@clicknback.com", Role.USER),
    ("dave@clicknback.com", Role.USER),
]


def seed() -> str:
    created = 0
    for email, role in DEMO_USERS:
        if not User.objects.filter(email=email).exists():
            user_create(email=email, password=DEMO_PASSWORD, role=role, actor=SYSTEM)
            created += 1
    return f"{created} users created, {len(DEMO_USERS) - created} already there"


def banner_lines() -> list[str]:
    """The logins `make run` prints (``seed_demo --banner-file``)."""
    admins = ", ".join(email for email, role in DEMO_USERS if role == Role.ADMIN)
    users = ", ".join(email for email, role in DEMO_USERS if role == Role.USER)
    return [
        f"Demo logins (password {DEMO_PASSWORD})",
        f"  admin  {admins}   (back office and admin API)",
        f"  users  {users}",
    ]
