"""Reads over users."""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError

from clicknback.errors import NotFound
from users.models import User


def user_get(*, user_id: uuid.UUID | str) -> User:
    try:
        return User.objects.get(pk=user_id)
    except (User.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound("user", user_id) from None


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email=email.strip().lower()).first()
