from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The composition layer: pages, endpoints and admin screens that show several apps at once."""

    name = "portal"
    verbose_name = _("Overview")
