from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "clicknback.outbox"
    label = "outbox"
    verbose_name = "Events (outbox)"
    default_auto_field = "django.db.models.BigAutoField"
