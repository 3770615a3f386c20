"""Role checks for API views."""

from rest_framework.permissions import BasePermission


class IsAdmin(BasePermission):
    """Authenticated users with the ``admin`` role."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_admin", False))
