"""Role checks for API views."""

from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework.permissions import BasePermission


class IsUser(BasePermission):
    """A signed-in user (any role). Every endpoint's default: a partner key opens none of them."""

    def has_permission(self, request, view):
        user = request.user
        return isinstance(user, AbstractBaseUser) and user.is_authenticated


class IsAdmin(BasePermission):
    """Authenticated users with the ``admin`` role."""

    def has_permission(self, request, view):
        user = request.user
        return isinstance(user, AbstractBaseUser) and user.is_authenticated and getattr(user, "is_admin", False)
