"""Pages in the language a signed-in user chose, on any device they sign in from."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from core.i18n import supported_language
from core.timezones import TIME_ZONE_COOKIE

from .services import user_language_on_login, user_time_zone_on_login

LOGIN_LANGUAGE = "_gigfair_login_language"


def language_on_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """On logging in, the user's stored language becomes this browser's (their choice follows them).

    Connected to ``user_logged_in``; the middleware below sets the cookie on the response.
    """
    if request is None:
        return
    language = user_language_on_login(user=user, browser_language=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    user_time_zone_on_login(user=user, browser_time_zone=request.COOKIES.get(TIME_ZONE_COOKIE))
    if language:
        setattr(request, LOGIN_LANGUAGE, language)


class UserLanguageMiddleware:
    """Use a signed-in user's stored language where the browser has not chosen one.

    Runs after LocaleMiddleware, which took the language cookie or else Accept-Language, and
    after AuthenticationMiddleware. Without a cookie (a new device), the stored language wins
    over Accept-Language and is set as the cookie, so this browser keeps it after logging out.
    A cookie is a choice made with the language switcher (which stores it for the user too),
    so it is left to decide, except when someone logs in: then their stored language replaces
    what the browser had (``language_on_login``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = ""
        if not supported_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                language = supported_language(user.language)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        language = getattr(request, LOGIN_LANGUAGE, "") or language
        if language and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
