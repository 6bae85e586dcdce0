import os

from django.core.asgi import get_asgi_application

# Production unless told otherwise: a server started without DJANGO_SETTINGS_MODULE must not
# run with debug on. manage.py and dev.py choose the local settings for development.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()
