import pytest
from django.conf import settings as project_settings

from clicknback.audit.models import AuditLog
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/users"
GOOD = "Str0ng!Pass"


def test_registration_creates_an_active_user_with_the_user_role(api_client):
    # when
    response = api_client.post(URL, {"email": "new@example.com", "password": GOOD}, format="json")
    # then
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "active", "role", "created_at"}
    assert body["email"] == "new@example.com"
    assert body["active"] is True
    assert body["role"] == "user"
    user = User.objects.get(pk=body["id"])
    assert user.check_password(GOOD)
    assert user.role == Role.USER and not user.is_staff


def test_registration_answers_with_and_without_trailing_slash(api_client):
    # when
    first = api_client.post(URL, {"email": "one@example.com", "password": GOOD}, format="json")
    second = api_client.post(URL + "/", {"email": "two@example.com", "password": GOOD}, format="json")
    # then
    assert (first.status_code, second.status_code) == (201, 201)


def test_registration_normalises_email_to_lower_case(api_client):
    # when
    response = api_client.post(URL, {"email": "  MiXeD@Example.COM ", "password": GOOD}, format="json")
    # then
    assert response.status_code == 201
    assert response.json()["email"] == "mixed@example.com"


def test_registration_is_audited_once_with_the_new_user_as_actor(api_client):
    # when
    response = api_client.post(URL, {"email": "audited@example.com", "password": GOOD}, format="json")
    # then
    rows = list(AuditLog.objects.filter(resource_type="user", resource_id=response.json()["id"]))
    assert len(rows) == 1
    assert rows[0].action == "user.registered"
    assert rows[0].actor_type == "user"
    assert str(rows[0].actor_id) == response.json()["id"]
    assert rows[0].request_id == response["X-Request-ID"]


def test_registering_a_taken_email_in_another_case_is_409(api_client):
    # given
    UserFactory(email="taken@example.com")
    # when
    response = api_client.post(URL, {"email": "TAKEN@example.com", "password": GOOD}, format="json")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "EMAIL_ALREADY_REGISTERED"
    assert error["details"] == {"email": "taken@example.com"}
    assert "taken@example.com" in error["message"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "reason_fragment"),
    [
        ("Sh0rt!", "at least 8"),
        ("alllower1!", "upper-case"),
        ("ALLUPPER1!", "lower-case"),
        ("NoDigits!!", "digit"),
        ("NoSymbol123", "not a letter or a digit"),
        ("Aa1!" * 33, "at most 128"),
        ("", "at least 8"),
        # several rules fail: the first one in the contract's order is reported
        ("abc", "at least 8"),
        ("abcdefgh", "upper-case"),
        ("ABCDEFGh", "digit"),
    ],
)
def test_weak_password_is_400_with_the_first_failed_rule(api_client, password, reason_fragment):
    # when
    response = api_client.post(URL, {"email": "weak@example.com", "password": password}, format="json")
    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "PASSWORD_NOT_COMPLEX_ENOUGH"
    assert len(error["details"]["violations"]) == 1
    assert error["details"]["violations"][0]["field"] == "password"
    assert reason_fragment in error["details"]["violations"][0]["reason"]
    assert not User.objects.exists()


def test_password_of_exactly_128_characters_is_accepted(api_client):
    # when
    response = api_client.post(URL, {"email": "long@example.com", "password": "Aa1!" * 32}, format="json")
    # then
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [{"password": GOOD}, {"email": "x@example.com"}, {"email": "not-an-email", "password": GOOD}, {}],
)
def test_missing_field_or_invalid_email_is_422(api_client, body):
    # when
    response = api_client.post(URL, body, format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"]["violations"]
    assert not User.objects.exists()


def test_client_cannot_set_role_or_id_at_registration(api_client):
    # when
    response = api_client.post(
        URL,
        {
            "email": "sneaky@example.com",
            "password": GOOD,
            "role": "admin",
            "id": "00000000-0000-4000-8000-000000000001",
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    assert response.json()["role"] == "user"
    assert response.json()["id"] != "00000000-0000-4000-8000-000000000001"


def test_me_returns_the_caller(user, user_client):
    # when
    response = user_client.get("/api/v1/users/me")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.pk),
        "email": user.email,
        "active": True,
        "role": "user",
        "created_at": user.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_me_without_token_is_401_invalid_token(api_client):
    # when
    response = api_client.get("/api/v1/users/me")
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_argon2_is_the_production_password_hasher():
    # then (tests swap in a fast hasher; the project setting must stay Argon2 first)
    from importlib import reload

    import clicknback.settings as project

    reload(project)
    assert project.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert project_settings.AUTH_USER_MODEL == "users.User"


def test_very_long_password_is_400_not_422(api_client):
    # when
    response = api_client.post(URL, {"email": "huge@example.com", "password": "Aa1!" * 2000}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "PASSWORD_NOT_COMPLEX_ENOUGH"
