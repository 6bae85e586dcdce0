"""E-mail addresses: one account per address whatever its case, and notifications e-mailed only
to an address confirmed through the signed link sent to it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Notification, User
from marketplace.notifications import notify
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
TAKEN = "This e-mail address is already used by another account."
LINK = re.compile(r"(?:https?://[^/\s]+)?(/account/email/verify/[^/\s]+/)")


def verification_links(to: str) -> list[str]:
    return [
        LINK.search(m.body).group(1) for m in mail.outbox if m.to == [to] and "Confirm your e-mail address" in m.subject
    ]


def web_sign_up(client, **overrides):
    data = {
        "username": "ada",
        "email": "ada@example.com",
        "display_name": "",
        "password1": "Analytical-Engine-1843",
        "password2": "Analytical-Engine-1843",
        **overrides,
    }
    return client.post(reverse("signup"), data)


def api_sign_up(api, **overrides):
    body = {"username": "ana", "email": "ana@example.com", "password": "Correct-Horse-42", **overrides}
    return api.post("/api/v1/accounts/", body, format="json")


# --- One account per address --------------------------------------------------------------------


def test_web_sign_up_refuses_an_address_taken_in_another_case(client):
    # given
    UserFactory(email="ada@example.com")

    # when
    response = web_sign_up(client, email="ADA@Example.com")

    # then
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [TAKEN]
    assert not User.objects.filter(username="ada").exists()
    assert "_auth_user_id" not in client.session


def test_api_sign_up_refuses_an_address_taken_in_another_case(api):
    # given
    UserFactory(email="ana@example.com")

    # when
    response = api_sign_up(api, email="  Ana@EXAMPLE.com ")

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == {"email": [TAKEN]}
    assert not User.objects.filter(username="ana").exists()


def test_sign_up_stores_the_address_trimmed_with_its_domain_in_lower_case(api):
    # when
    response = api_sign_up(api, email=" Ana.Souza@Example.COM ")

    # then
    assert response.status_code == 201
    assert User.objects.get(username="ana").email == "Ana.Souza@example.com"


def test_the_database_refuses_a_second_account_with_the_address_in_another_case():
    # given
    UserFactory(email="ana@example.com")

    # when / then
    with pytest.raises(IntegrityError):
        UserFactory(email="ANA@example.com")


def test_accounts_without_an_address_do_not_clash():
    # when
    UserFactory(email="")
    UserFactory(email="")

    # then
    assert User.objects.filter(email="").count() == 2


def test_api_change_to_an_address_taken_in_another_case_is_400_naming_email(api_as):
    # given
    UserFactory(email="bram@example.com")
    user = UserFactory(email="ana@example.com")

    # when
    response = api_as(user).patch("/api/v1/me/", {"email": "Bram@Example.com"}, format="json")

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == {"email": [TAKEN]}
    user.refresh_from_db()
    assert user.email == "ana@example.com" and user.email_verified


def test_web_change_to_an_address_taken_in_another_case_is_refused_on_the_field(client):
    # given
    UserFactory(email="bram@example.com")
    user = UserFactory(email="ana@example.com")
    client.force_login(user)

    # when
    response = client.post(reverse("account_email"), {"email": "BRAM@example.com"})

    # then
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [TAKEN]
    user.refresh_from_db()
    assert user.email == "ana@example.com"
    assert not mail.outbox


def test_writing_ones_own_address_in_another_case_keeps_it_verified(api_as):
    # given
    user = UserFactory(email="ana@example.com")

    # when
    response = api_as(user).patch("/api/v1/me/", {"email": "Ana@Example.com"}, format="json")

    # then
    assert response.status_code == 200
    assert response.json()["email"] == "Ana@example.com" and response.json()["email_verified"] is True
    assert not mail.outbox


# --- The link -----------------------------------------------------------------------------------


def test_sign_up_sends_a_link_and_the_account_is_unverified(api, settings, django_capture_on_commit_callbacks):
    # given
    settings.GIGFAIR_PUBLIC_URL = "https://gigfair.example"

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_sign_up(api)

    # then
    assert response.status_code == 201 and response.json()["email_verified"] is False
    [message] = mail.outbox
    assert message.to == ["ana@example.com"]
    assert "https://gigfair.example/account/email/verify/" in message.body
    assert User.objects.get(username="ana").email_verified_at is None


def test_web_sign_up_sends_a_link_and_says_so(client, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = web_sign_up(client)

    # then
    assert response.status_code == 302
    assert len(verification_links("ada@example.com")) == 1
    page = client.get(reverse("dashboard")).content.decode()
    assert "We sent a link to ada@example.com" in page
    assert "Please confirm your e-mail address ada@example.com" in page  # the banner


def test_opening_the_link_does_not_verify_pressing_its_button_does(client, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        web_sign_up(client)
    [link] = verification_links("ada@example.com")
    client.logout()

    # when: a mail scanner (or the person) opens it
    opened = client.get(link)

    # then: only a button, nothing verified yet
    assert opened.status_code == 200
    assert "Confirm my address" in opened.content.decode()
    assert User.objects.get(username="ada").email_verified_at is None

    # when: the person presses it
    confirmed = client.post(link)

    # then
    assert confirmed.status_code == 302
    assert User.objects.get(username="ada").email_verified


def test_an_expired_link_verifies_nothing_and_says_so(client, django_capture_on_commit_callbacks):
    # given
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        web_sign_up(client)
    [link] = verification_links("ada@example.com")

    # when: four days later
    with time_machine.travel(start + timedelta(days=4), tick=False):
        response = client.post(link)

    # then
    assert response.status_code == 400
    assert "This verification link has expired." in response.content.decode()
    assert User.objects.get(username="ada").email_verified_at is None


@pytest.mark.parametrize("tamper", [lambda t: t[:-3] + "abc", lambda t: "x" + t, lambda t: "nonsense"])
def test_a_tampered_link_verifies_nothing(client, django_capture_on_commit_callbacks, tamper):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        web_sign_up(client)
    [link] = verification_links("ada@example.com")
    token = link.rstrip("/").rsplit("/", 1)[1]

    # when
    response = client.post(reverse("email_verify", args=[tamper(token)]))

    # then
    assert response.status_code == 400
    assert "This verification link is not valid." in response.content.decode()
    assert User.objects.get(username="ada").email_verified_at is None


def test_a_link_sent_to_an_earlier_address_no_longer_verifies(
    api_as, client, settings, django_capture_on_commit_callbacks
):
    # given: an address with its link, then a change to another one
    settings.EMAIL_VERIFICATION_RESEND_AFTER = timedelta(0)
    user = UserFactory(email="ana@old.example", email_verified_at=None)
    api = api_as(user)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/me/email/verification/")
    with django_capture_on_commit_callbacks(execute=True):
        api.patch("/api/v1/me/", {"email": "ana@new.example"}, format="json")
    [old_link] = verification_links("ana@old.example")
    [new_link] = verification_links("ana@new.example")

    # when
    old = client.post(old_link)

    # then
    assert old.status_code == 400
    assert "sent to an earlier e-mail address" in old.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is None

    # and the new address's link works
    assert client.post(new_link).status_code == 302
    user.refresh_from_db()
    assert user.email_verified and user.email == "ana@new.example"


def test_changing_the_address_makes_it_unverified_and_sends_a_link(api_as, django_capture_on_commit_callbacks):
    # given
    user = UserFactory(email="ana@example.com")
    api = api_as(user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch("/api/v1/me/", {"email": "ana@elsewhere.example"}, format="json")

    # then
    assert response.status_code == 200
    assert response.json()["email"] == "ana@elsewhere.example" and response.json()["email_verified"] is False
    assert api.get("/api/v1/me/").json()["email_verified"] is False
    assert len(verification_links("ana@elsewhere.example")) == 1


def test_changing_the_address_on_the_web_sends_a_link(client, django_capture_on_commit_callbacks):
    # given
    user = UserFactory(email="ana@example.com")
    client.force_login(user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_email"), {"email": "ana@elsewhere.example"}, follow=True)

    # then
    assert "We sent a link to it" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "ana@elsewhere.example" and not user.email_verified
    assert len(verification_links("ana@elsewhere.example")) == 1


# --- Asking for the link again ------------------------------------------------------------------


def test_the_api_sends_the_link_again_but_not_more_than_once_in_two_minutes(api_as, django_capture_on_commit_callbacks):
    # given
    user = UserFactory(email="ana@example.com", email_verified_at=None)
    api = api_as(user)
    start = timezone.now()

    # when
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/v1/me/email/verification/")
        second = api.post("/api/v1/me/email/verification/")
    with (
        time_machine.travel(start + timedelta(minutes=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        third = api.post("/api/v1/me/email/verification/")

    # then
    assert first.status_code == 202
    assert first.json()["email"] == "ana@example.com" and first.json()["email_verified"] is False
    assert second.status_code == 429
    assert second["Content-Type"] == PROBLEM
    assert second.json()["code"] == "verification_email_throttled"
    assert int(second["Retry-After"]) == 120
    assert third.status_code == 202
    assert len(verification_links("ana@example.com")) == 2


def test_changing_the_address_right_after_a_link_went_out_is_429_and_changes_nothing(
    api_as, django_capture_on_commit_callbacks
):
    # given
    user = UserFactory(email="ana@example.com", email_verified_at=None)
    api = api_as(user)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/me/email/verification/")

    # when: a change would send another e-mail at once
    response = api.patch("/api/v1/me/", {"email": "victim@example.com"}, format="json")

    # then
    assert response.status_code == 429 and "Retry-After" in response
    user.refresh_from_db()
    assert user.email == "ana@example.com"
    assert not verification_links("victim@example.com")


def test_a_verified_address_needs_no_link(api_as):
    # given
    user = UserFactory(email="ana@example.com")

    # when
    response = api_as(user).post("/api/v1/me/email/verification/")

    # then
    assert response.status_code == 409 and response.json()["code"] == "email_already_verified"
    assert not mail.outbox


def test_the_web_banner_sends_the_link_again(client, django_capture_on_commit_callbacks):
    # given
    user = UserFactory(email="ana@example.com", email_verified_at=None)
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert "Please confirm your e-mail address ana@example.com" in page

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_email_resend"), {"next": reverse("home")}, follow=True)

    # then
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "We sent a new link to ana@example.com." in response.content.decode()
    assert len(verification_links("ana@example.com")) == 1


def test_a_verified_user_sees_no_banner(client):
    client.force_login(UserFactory())

    page = client.get(reverse("home")).content.decode()

    assert "Please confirm your e-mail address" not in page


# --- Notifications ------------------------------------------------------------------------------


def test_notifications_are_not_e_mailed_to_an_unverified_address_and_are_once_it_is_verified(
    client, django_capture_on_commit_callbacks
):
    # given: an account whose address is not verified yet
    with django_capture_on_commit_callbacks(execute=True):
        web_sign_up(client)
    user = User.objects.get(username="ada")
    [link] = verification_links("ada@example.com")
    mail.outbox.clear()

    # when: something happens
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], kind="test", title="Something happened")

    # then: it is in the app, not in the inbox
    assert Notification.objects.filter(user=user, title="Something happened").exists()
    assert not mail.outbox

    # when: the address is verified, and something else happens
    client.post(link)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], kind="test", title="Something else happened")

    # then
    [message] = mail.outbox
    assert message.to == ["ada@example.com"] and "Something else happened" in message.subject


def test_notifications_stop_going_to_an_address_changed_until_it_is_verified(
    api_as, django_capture_on_commit_callbacks
):
    # given
    user = UserFactory(email="ana@example.com")
    api_as(user).patch("/api/v1/me/", {"email": "ana@elsewhere.example"}, format="json")
    mail.outbox.clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], kind="test", title="Something happened")

    # then
    assert not mail.outbox


# --- The back office ----------------------------------------------------------------------------


def admin_user_form(**fields) -> dict:
    """The user admin's change form, filled in."""
    return {
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "is_active": "on",
        "availability-TOTAL_FORMS": 0,
        "availability-INITIAL_FORMS": 0,
        **fields,
    }


def test_the_user_admin_shows_the_verification_and_marks_an_address_verified(admin_client):
    # given
    user = UserFactory(email="ana@example.com", email_verified_at=None)

    # when
    page = admin_client.get(reverse("admin:marketplace_user_change", args=(user.pk,)))
    response = admin_client.post(
        reverse("admin:marketplace_user_changelist"), {"action": "mark_email_verified", "_selected_action": [user.pk]}
    )

    # then
    assert page.status_code == 200 and "email_verified_at" in page.content.decode()
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified


def test_an_address_changed_in_the_admin_is_unverified_and_gets_a_link(
    admin_client, django_capture_on_commit_callbacks
):
    # given
    user = UserFactory(username="ana", email="ana@example.com")
    url = reverse("admin:marketplace_user_change", args=(user.pk,))
    form = admin_user_form(username="ana", email="ana@elsewhere.example")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, form)

    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.email == "ana@elsewhere.example" and user.email_verified_at is None
    assert len(verification_links("ana@elsewhere.example")) == 1


def test_the_admin_refuses_an_address_another_account_has(admin_client):
    # given
    UserFactory(email="bram@example.com")
    user = UserFactory(username="ana", email="ana@example.com")
    url = reverse("admin:marketplace_user_change", args=(user.pk,))
    form = admin_user_form(username="ana", email="BRAM@example.com")

    # when
    response = admin_client.post(url, form)

    # then
    assert response.status_code == 200
    assert TAKEN in response.content.decode()
    user.refresh_from_db()
    assert user.email == "ana@example.com"


def test_logging_in_needs_no_verified_address(client):
    # given
    user = UserFactory(username="ana", email_verified_at=None)

    # when
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    # then
    assert response.status_code == 302
