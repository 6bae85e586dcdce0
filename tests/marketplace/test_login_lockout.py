"""Login lockout: 5 failures for one username from one address lock that pair for 15 minutes,
on the API token endpoint, the site's login and the admin's, even for the right password."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.support import SUPPORT_GROUP
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PROBLEM = "application/problem+json"
HERE = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


def token(api, username="ana", password=PASSWORD, ip=HERE, **extra):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip, **extra)


def fail(api, times, username="ana", ip=HERE):
    return [token(api, username, "wrong", ip).status_code for _i in range(times)]


def test_five_failures_lock_the_token_endpoint_even_for_the_right_password(api):
    # given
    UserFactory(username="ana")

    # when: four wrong passwords are refused as wrong, the fifth locks
    assert fail(api, 4) == [400, 400, 400, 400]
    fifth = token(api, password="wrong")
    right = token(api)

    # then
    assert fifth.status_code == 429
    assert right.status_code == 429
    assert right["Content-Type"] == PROBLEM
    assert 890 <= int(right["Retry-After"]) <= 900
    body = right.json()
    assert body["status"] == 429 and body["code"] == "too_many_login_failures"
    assert "try again in 15 minutes" in body["detail"]
    assert body["locked_until"]
    assert not Token.objects.exists()


def test_another_username_from_the_same_address_is_not_locked(api):
    # given
    UserFactory(username="ana")
    UserFactory(username="bram")
    fail(api, 5, username="ana")

    # when
    response = token(api, username="bram")

    # then
    assert response.status_code == 200


def test_the_same_username_from_another_address_is_not_locked(api):
    # given: someone guessing Ana's password from their own address
    UserFactory(username="ana")
    fail(api, 5, ip=ELSEWHERE)

    # when: Ana logs in from hers
    response = token(api, ip=HERE)

    # then
    assert response.status_code == 200


def test_the_lock_expires_after_15_minutes(api):
    # given
    UserFactory(username="ana")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(api, 5)

    # when: a minute before the end it still holds, and says how long is left
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        still = token(api)
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        after = token(api)

    # then
    assert still.status_code == 429 and int(still["Retry-After"]) == 60
    assert after.status_code == 200


def test_tries_during_a_lock_do_not_push_its_end(api):
    # given
    UserFactory(username="ana")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(api, 5)

    # when: more tries during the lock, wrong and right
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert fail(api, 3) == [429, 429, 429]
        assert token(api).status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        after = token(api)

    # then: it ended when Retry-After first said
    assert after.status_code == 200


def test_a_successful_login_forgets_the_earlier_failures(api):
    # given: four failures, then the right password
    UserFactory(username="ana")
    fail(api, 4)
    assert token(api).status_code == 200

    # when: four more failures
    outcomes = fail(api, 4)

    # then: they count from zero again
    assert outcomes == [400, 400, 400, 400]
    assert token(api).status_code == 200


def test_failures_on_the_web_count_for_the_api(api, client):
    # given: five failures on the site's login page
    UserFactory(username="ana")
    for _i in range(5):
        client.post(reverse("login"), {"username": "ana", "password": "wrong"}, REMOTE_ADDR=HERE)

    # when
    response = token(api)

    # then
    assert response.status_code == 429


def test_a_lock_is_not_replayed_from_the_idempotency_store_once_it_has_expired(api):
    # given: the right password sent during a lock, with an Idempotency-Key
    UserFactory(username="ana")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(api, 5)
        assert token(api, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 429

    # when: the same request once the lock has expired
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        response = token(api, HTTP_IDEMPOTENCY_KEY="k-1")

    # then
    assert response.status_code == 200


@pytest.mark.parametrize("forwarded_ip", ["198.51.100.7", "10.1.1.1, 198.51.100.7"])
def test_behind_a_trusted_proxy_the_address_it_saw_is_locked_and_a_forged_one_is_ignored(api, settings, forwarded_ip):
    # given: one proxy of ours in front, which appends the address it saw to X-Forwarded-For
    settings.GIGFAIR_TRUSTED_PROXY_COUNT = 1
    UserFactory(username="ana")
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        token(api, password="wrong", ip="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, 198.51.100.7")

    # when: the same client, whatever it puts before the proxy's entry
    same = token(api, ip="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_ip)
    other = token(api, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8")

    # then
    assert same.status_code == 429
    assert other.status_code == 200


# --- The site's login page ----------------------------------------------------------------------


def test_the_login_page_shows_the_lock_and_when_to_try_again(client):
    # given
    user = UserFactory(username="ana")
    for _i in range(4):
        response = client.post(reverse("login"), {"username": "ana", "password": "wrong"})
        assert response.status_code == 200

    # when: the fifth failure, then the right password
    fifth = client.post(reverse("login"), {"username": "ana", "password": "wrong"})
    right = client.post(reverse("login"), {"username": "ana", "password": PASSWORD})

    # then: the login page itself, with the lock on its form, as 429
    for response in (fifth, right):
        assert response.status_code == 429
        assert 890 <= int(response["Retry-After"]) <= 900
        assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["locked_out"]
        content = response.content.decode()
        assert "Too many failed log-ins for this username" in content
        assert "try again in 15 minutes" in content
        assert 'name="password"' in content
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.last_login is None


def test_the_login_page_logs_in_again_once_the_lock_expired(client):
    # given
    UserFactory(username="ana")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _i in range(5):
            client.post(reverse("login"), {"username": "ana", "password": "wrong"})

    # when
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        response = client.post(reverse("login"), {"username": "ana", "password": PASSWORD})

    # then
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


# --- The admin ----------------------------------------------------------------------------------


def test_the_admin_login_shows_the_lock(client):
    # given
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    for _i in range(5):
        client.post(reverse("admin:login"), {"username": "boss", "password": "wrong"})

    # when
    response = client.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD})

    # then
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "Too many failed log-ins for this username" in response.content.decode()
    assert "_auth_user_id" not in client.session


def support_agent():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=SUPPORT_GROUP)[0])
    return user


def test_support_sees_the_lock_and_when_it_ends(api, client):
    # given
    UserFactory(username="ana")
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        fail(api, 5)
    client.force_login(support_agent())

    # when
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        listing = client.get(reverse("admin:axes_accessattempt_changelist") + "?locked=yes")
        attempt = AccessAttempt.objects.get(username="ana")
        page = client.get(reverse("admin:axes_accessattempt_change", args=(attempt.pk,)))
        failures = client.get(reverse("admin:axes_accessfailurelog_changelist") + "?q=ana")

    # then
    ends = (start + timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert ends in listing.content.decode()
    assert page.status_code == 200 and ends in page.content.decode()
    assert failures.status_code == 200 and failures.context["cl"].result_count == 5


def test_support_unlocks_and_the_right_password_works_again(api, client):
    # given
    UserFactory(username="ana")
    fail(api, 5)
    client.force_login(support_agent())
    attempt = AccessAttempt.objects.get(username="ana")

    # when
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt.pk]},
    )

    # then
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AccessFailureLog.objects.filter(username="ana").count() == 5  # the record stays
    assert token(api).status_code == 200


def test_staff_outside_support_without_the_permission_do_not_see_the_locks(client):
    # given
    client.force_login(UserFactory(is_staff=True))

    # when
    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    # then
    assert response.status_code == 403


def test_the_schema_documents_the_lock_on_the_token_endpoint(api):
    # when
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    # then
    locked = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["429"]
    assert "too_many_login_failures" in locked["description"]
    assert "Retry-After" in locked["headers"]
    assert PROBLEM in locked["content"]
