from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Admin autodiscovery reads core.admin only; the webhook pages live with their plumbing.
        from core.webhooks import admin  # noqa: F401, PLC0415 - needs the models loaded
