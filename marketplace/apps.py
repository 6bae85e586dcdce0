from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        from .middleware import language_on_login  # noqa: PLC0415 - needs the models loaded

        user_logged_in.connect(language_on_login, dispatch_uid="marketplace.language_on_login")
