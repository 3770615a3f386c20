from django.apps import AppConfig


class FlagsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clicknback.flags"
    label = "flags"
    verbose_name = "Feature flags"
