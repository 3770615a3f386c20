import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager):
    """Used by Django's ``createsuperuser``; application code goes through ``users.services``."""

    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        role = extra.pop("role", Role.USER)
        is_admin = role == Role.ADMIN
        user = self.model(email=email.strip().lower(), role=role, is_staff=is_admin, is_superuser=is_admin, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.pop("is_staff", None)
        extra.pop("is_superuser", None)
        return self.create_user(email, password, role=Role.ADMIN, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    is_active = models.BooleanField(default=True)
    # Mirrors the role (a CHECK constraint keeps them in step) so Django admin works.
    is_staff = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
            models.CheckConstraint(
                condition=(
                    models.Q(role=Role.ADMIN, is_staff=True, is_superuser=True)
                    | models.Q(role=Role.USER, is_staff=False, is_superuser=False)
                ),
                name="user_staff_follows_role",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN
