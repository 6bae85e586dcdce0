"""Django's admin app with Gigfair's admin site (``portal.admin_site``) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class GigfairAdminConfig(AdminConfig):
    default_site = "portal.admin_site.GigfairAdminSite"
