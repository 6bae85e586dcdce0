from django.apps import AppConfig
from django.core.signals import request_finished
from django.utils.translation import gettext_lazy as _

from core.logs import request_id_clear


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Admin autodiscovery reads core.admin only; the webhook pages live with their plumbing.
        from core.webhooks import admin  # noqa: F401, PLC0415 - needs the models loaded

        # A request's id stays on its log lines until its response is closed.
        request_finished.connect(request_id_clear, dispatch_uid="core.request_id_clear")
