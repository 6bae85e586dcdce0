import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import UserFactory

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)


DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every test that used the database, the books must balance: the reconciliation finds
    no difference in what the test's scenario left (``@pytest.mark.books_unbalanced`` for the
    tests that break the books on purpose, to see them found)."""
    result = yield
    uses_db = item.get_closest_marker("django_db") is not None or DB_FIXTURES & set(item.fixturenames)
    if uses_db and item.get_closest_marker("books_unbalanced") is None:
        from django.db import connection

        from orders.reconciliation import reconcile

        if connection.needs_rollback:
            return result  # the test ended on a refused write (it asked for one): nothing more can be read

        differences = reconcile().differences
        assert not differences, f"the books do not balance after this test: {differences}"
    return result


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the site's default language.

    A request through the test client leaves its language active in this thread, so without
    this a test after one that browsed in Chinese would run in Chinese.
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api():
    """An unauthenticated API client; ``api.force_authenticate(user)`` or use ``api_as``."""
    return APIClient()


@pytest.fixture
def api_as(db):
    """``api_as(user)`` gives an API client that sends the user's token."""
    from rest_framework.authtoken.models import Token

    def make(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
