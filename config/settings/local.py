"""Settings for a developer's machine: debug on."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# A developer's machine (and the demo) runs scripts and test clients against the API from one
# address: keep the throttles on, so 429s look as they do in production, but far looser.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="1000/minute"),
        "user": env("API_THROTTLE_USER", default="5000/minute"),
    },
}
WEBHOOKS_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOKS_ALLOW_PRIVATE_HOSTS", default=True)
