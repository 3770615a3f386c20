import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager["User"]):
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
    # Emails about cashback and payouts (contract §14); the user can turn them off.
    email_notifications = models.BooleanField(default=True)
    # Mirrors the role (a CHECK constraint keeps them in step) so Django admin works.
    is_staff = models.BooleanField(default=False, editable=False)
    # Access tokens issued before this instant are refused (a password change or reset).
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

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


class RefreshTokenRecord(models.Model):
    """One issued refresh token (by its ``jti``) and the token it was rotated from.

    The JWT itself is signed and checked by simplejwt; this row holds its state: a token
    can be exchanged once (``used_at``), and presenting a used token again revokes every
    token issued from it (``revoked_at`` on the descendants), following ``parent``.
    """

    jti = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    # SET_NULL: an expired record is purged (``refresh_tokens_purge``) while the tokens
    # rotated from it may still be valid; an expired token can never be presented again,
    # so the link above a live token is no longer needed for reuse detection.
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children", db_index=True
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["user", "-issued_at"], name="refresh_user_issued")]

    def __str__(self) -> str:
        return f"refresh {self.jti} of {self.user_id}"
