"""The interface in five languages: the switcher, Accept-Language, complete compiled catalogs,
and money and dates that read well in each language while inputs stay language-neutral."""

from __future__ import annotations

import gettext
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.templatetags.gigfair import money, when
from disputes.web.requests_forms import CancelRequestForm
from marketplace.forms import ListingForm
from marketplace.models import Listing, User
from tests.factories import PASSWORD, UserFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
# LANGUAGES code -> the folder Django reads it from (django.utils.translation.to_locale).
CATALOGS = {"zh-hans": "zh_Hans", "zh-hant": "zh_Hant", "nl": "nl", "pt-br": "pt_BR"}
# A string of the header ("Log in") and one of the home page, as each language reads them.
EXPECTED = {
    "zh-hans": ("登录", "规则公平、可预期的零工工作"),
    "zh-hant": ("登入", "規則公平、可預期的零工工作"),
    "nl": ("Inloggen", "Gigwerk met eerlijke, voorspelbare regels"),
    "pt-br": ("Entrar", "Trabalho independente com regras justas e previsíveis"),
}


def _html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


# --- Choosing the language -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("code", list(EXPECTED))
def test_the_switcher_shows_the_next_pages_in_the_chosen_language(client, code):
    # given: a visitor on the home page
    # when: they pick a language in the header's form (a plain POST, no JavaScript)
    response = client.post(reverse("set_language"), {"language": code, "next": reverse("home")})

    # then: they are sent back, and every page after that is in their language
    assert response.status_code == 302
    assert response.url == reverse("home")
    log_in, headline = EXPECTED[code]
    home = client.get(reverse("home"))
    assert _html_lang(home) == code
    assert headline in home.content.decode()
    login = client.get(reverse("login"))
    assert f"<h1>{log_in}</h1>" in login.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "code"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.5", "zh-hans"),
        ("zh-TW,zh;q=0.9", "zh-hant"),
        ("zh-HK", "zh-hant"),
        ("nl-BE,nl;q=0.8", "nl"),
        ("pt-BR,pt;q=0.9", "pt-br"),
        ("de-DE,de;q=0.9", "en"),
    ],
)
def test_anonymous_visitors_get_the_language_their_browser_asks_for(client, accept_language, code):
    # when: a first visit, with only the browser's Accept-Language to go by
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=accept_language)

    # then: the page is in the closest language Gigfair has, English otherwise
    assert response.status_code == 200
    assert _html_lang(response) == code
    if code in EXPECTED:
        assert EXPECTED[code][1] in response.content.decode()


@pytest.mark.django_db
def test_the_chosen_language_wins_over_accept_language(client):
    # given: a browser asking for Dutch, whose user picked Portuguese
    client.post(reverse("set_language"), {"language": "pt-br", "next": "/"})

    # when
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="nl")

    # then
    assert _html_lang(response) == "pt-br"


# --- A signed-in user's language -------------------------------------------------------------


@pytest.mark.django_db
def test_the_switcher_stores_a_signed_in_users_language(client):
    # given
    user = UserFactory(language="nl")
    client.force_login(user)

    # when
    response = client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})

    # then: stored for their other devices and their notifications, and this page follows it
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "zh-hant"
    assert _html_lang(client.get(reverse("home"))) == "zh-hant"


@pytest.mark.django_db
def test_the_switcher_ignores_a_language_the_site_does_not_have(client):
    # given
    user = UserFactory(language="nl")
    client.force_login(user)

    # when
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"})

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "nl"


@pytest.mark.django_db
def test_an_anonymous_visitor_can_still_switch(client):
    # when
    response = client.post(reverse("set_language"), {"language": "pt-br", "next": "/"})

    # then
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pt-br"


@pytest.mark.django_db
@pytest.mark.parametrize(("accept_language", "code"), [("zh-CN,zh;q=0.9", "zh-hans"), ("nl-BE", "nl"), ("de", "en")])
def test_signing_up_stores_the_language_of_the_sign_up_page(client, accept_language, code):
    # when: a visitor signs up on a page in their browser's language
    response = client.post(
        reverse("signup"),
        {
            "username": "mei",
            "email": "mei@example.com",
            "display_name": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE=accept_language,
    )

    # then
    assert response.status_code == 302
    assert User.objects.get(username="mei").language == code


@pytest.mark.django_db
def test_signing_up_keeps_the_language_picked_with_the_switcher(client):
    # given: a visitor who picked Portuguese, in a browser asking for Dutch
    client.post(reverse("set_language"), {"language": "pt-br", "next": "/"})

    # when
    client.post(
        reverse("signup"),
        {"username": "rui", "email": "rui@example.com", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="nl",
    )

    # then
    assert User.objects.get(username="rui").language == "pt-br"


@pytest.mark.django_db
def test_a_new_device_shows_a_signed_in_user_their_stored_language(client):
    # given: a user who reads Dutch, on a browser with no language cookie that asks for Portuguese
    user = UserFactory(language="nl")
    client.force_login(user)

    # when
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="pt-BR")

    # then: their language, remembered by this browser for the next pages (and after logging out)
    assert _html_lang(response) == "nl"
    assert EXPECTED["nl"][1] in response.content.decode()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    client.post(reverse("logout"))
    assert _html_lang(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="pt-BR")) == "nl"


@pytest.mark.django_db
def test_logging_in_brings_the_users_own_language_to_a_browser_that_chose_another(client):
    # given: a browser where Portuguese was picked with the switcher (someone else, or before logging in)
    client.post(reverse("set_language"), {"language": "pt-br", "next": "/"})
    user = UserFactory(language="nl")

    # when the Dutch reader logs in through the log-in page
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    # then their language replaces the browser's, for the next pages
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    assert _html_lang(client.get(reverse("home"))) == "nl"


@pytest.mark.django_db
def test_after_logging_in_the_switcher_still_decides(client):
    user = UserFactory(language="nl")
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    client.post(reverse("set_language"), {"language": "pt-br", "next": "/"})

    assert _html_lang(client.get(reverse("home"))) == "pt-br"
    user.refresh_from_db()
    assert user.language == "pt-br"


@pytest.mark.django_db
def test_logging_in_without_a_stored_language_keeps_the_browsers_choice_as_the_users(client):
    # given: a browser set to Traditional Chinese, and a user who never chose a language
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    user = UserFactory(language="")

    # when
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    # then it becomes theirs: their notifications follow it too
    user.refresh_from_db()
    assert user.language == "zh-hant"
    assert _html_lang(client.get(reverse("home"))) == "zh-hant"


@pytest.mark.django_db
def test_a_user_without_a_stored_language_gets_their_browsers(client):
    # given
    client.force_login(UserFactory(language=""))

    # when
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-TW")

    # then
    assert _html_lang(response) == "zh-hant"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_staff_see_and_change_a_users_language_in_the_admin(client):
    # given
    staff = UserFactory(support=True, is_superuser=True)
    user = UserFactory(language="nl")
    client.force_login(staff)
    url = reverse("admin:marketplace_user_change", args=[user.pk])

    # when
    form = client.get(url).context["adminform"].form

    # then
    assert form.initial["language"] == "nl"
    assert [code for code, _name in form.fields["language"].choices] == ["", *[c for c, _n in settings.LANGUAGES]]


@pytest.mark.django_db
def test_api_errors_speak_the_callers_language_and_keep_their_code(client):
    # when: a partner's client asks in Dutch for something that does not exist
    response = client.get("/api/v1/no-such-endpoint/", HTTP_ACCEPT_LANGUAGE="nl")

    # then: title and detail are for people, in Dutch; code stays the machine-readable part
    body = response.json()
    assert response.status_code == 404
    assert body["title"] == "Niet gevonden"
    assert body["detail"] == "Deze resource bestaat niet."
    assert body["code"] == "not_found"


@pytest.mark.django_db
def test_the_header_has_a_language_form_that_works_without_javascript(client):
    # when
    page = client.get(reverse("login")).content.decode()

    # then: inside the header, a form posting to set_language with a submit button,
    # offering the five languages each in its own name
    header = page[page.index("<header") : page.index("</header>")]
    form = header[header.index('<form action="' + reverse("set_language")) :]
    form = form[: form.index("</form>")]
    assert 'method="post"' in form
    assert 'type="submit"' in form
    assert 'name="next"' in form
    for name in ("English", "简体中文", "繁體中文", "Nederlands", "Português Brasileiro"):
        assert f">{name}</option>" in form


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["en", *EXPECTED])
def test_the_admin_log_in_page_renders_in_every_language(client, code):
    # when
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE=code)

    # then: Django's own admin translations and ours together
    assert response.status_code == 200
    assert _html_lang(response) == code


# --- The catalogs --------------------------------------------------------------------------


def _unquote(text: str) -> str:
    return text[1:-1].encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def _po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (index -> text) and flags."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None and entry["seen"]:  # not a block of obsolete (#~) lines only
                entries.append(entry)
            entry = None
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": {}, "flags": set(), "seen": False}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += _unquote(line)
            else:
                entry[key[0]] += _unquote(line)
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])? (".*")$', line)
            assert match, f"{path}: cannot read {line!r}"
            name, index, text = match.group(1), int(match.group(2) or 0), _unquote(match.group(3))
            entry["seen"] = True
            if name == "msgstr":
                entry["msgstr"][index] = text
                key = ("msgstr", index)
            else:
                entry[name] = text
                key = (name, None)
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdfir]|%%|%[sd]|\{\w*\}|<[^>]+>|&nbsp;")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("folder", list(CATALOGS.values()))
def test_every_message_is_translated_and_none_is_fuzzy(folder):
    entries = _po_entries(LOCALE_DIR / folder / "LC_MESSAGES" / "django.po")
    header, messages = entries[0], entries[1:]

    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    nplurals = int(re.search(r"nplurals=(\d+)", header["msgstr"][0]).group(1))
    assert nplurals == (1 if folder.startswith("zh") else 2)
    assert len(messages) > 1000
    fuzzy = [m["msgid"] for m in messages if "fuzzy" in m["flags"]]
    empty = [m["msgid"] for m in messages if not all(m["msgstr"].values())]
    wrong_forms = [m["msgid"] for m in messages if m["msgid_plural"] is not None and len(m["msgstr"]) != nplurals]
    assert fuzzy == []
    assert empty == []
    assert wrong_forms == []


@pytest.mark.parametrize("folder", list(CATALOGS.values()))
def test_translations_keep_the_placeholders_and_tags_of_the_original(folder):
    entries = _po_entries(LOCALE_DIR / folder / "LC_MESSAGES" / "django.po")[1:]

    mismatched = []
    for entry in entries:
        allowed = [_placeholders(entry["msgid"])]
        if entry["msgid_plural"] is not None:
            # One Chinese form stands for both: it may follow either English form.
            allowed.append(_placeholders(entry["msgid_plural"]))
        for text in entry["msgstr"].values():
            if _placeholders(text) not in allowed:
                mismatched.append((entry["msgid"], text))
    assert mismatched == []


@pytest.mark.parametrize("folder", list(CATALOGS.values()))
def test_the_compiled_catalog_matches_its_po_file(folder):
    # The .mo files are committed (a laptop has no gettext tools); a .po edited without
    # running compilemessages would leave the site showing the old text.
    po_path = LOCALE_DIR / folder / "LC_MESSAGES" / "django.po"
    with open(po_path.with_suffix(".mo"), "rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog

    stale = []
    for entry in _po_entries(po_path)[1:]:
        msgid = entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"
        if entry["msgid_plural"] is None:
            if compiled.get(msgid) != entry["msgstr"][0]:
                stale.append(entry["msgid"])
        elif any(compiled.get((msgid, i)) != text for i, text in entry["msgstr"].items()):
            stale.append(entry["msgid"])
    assert stale == []


# --- Money, dates and inputs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("en", "1,234.50\u00a0EUR"),
        ("zh-hans", "1234.50\u00a0EUR"),  # Django's Chinese formats do not group thousands
        ("zh-hant", "1234.50\u00a0EUR"),
        ("nl", "1.234,50\u00a0EUR"),
        ("pt-br", "1.234,50\u00a0EUR"),
    ],
)
def test_money_is_shown_with_the_separators_of_the_language(code, shown):
    with translation.override(code):
        assert money(Decimal("1234.5"), "EUR") == shown


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("en", "22 Nov 2026, 09:30 UTC"),
        ("zh-hans", "2026年11月22日 09:30 UTC"),
        ("zh-hant", "2026年11月22日 09:30 UTC"),
        ("nl", "22 nov 2026, 09:30 UTC"),
        ("pt-br", "22 nov 2026, 09:30 UTC"),
    ],
)
def test_dates_are_written_the_way_the_language_writes_them(code, shown):
    at = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

    with translation.override(code):
        html = when(at)

    assert f">{shown}</time>" in html
    assert 'datetime="2026-11-22T09:30:00+00:00"' in html


@pytest.mark.parametrize("code", ["nl", "pt-br", "zh-hans"])
def test_decimal_inputs_take_a_point_and_show_one_in_every_language(code):
    # Price inputs are type=number: browsers send "120.00" whatever the page's language,
    # so the forms parse and show amounts without the language's decimal comma.
    with translation.override(code):
        listing = ListingForm({"kind": "service", "title": "Logo", "price": "120.00", "currency": "EUR"})
        cancel = CancelRequestForm({"reason": "service_quality", "refund_percent": "12.50", "message": "Sorry"})
        shown = str(ListingForm(initial={"price": Decimal("1234.50")})["price"])

    assert listing.is_valid(), listing.errors
    assert listing.cleaned_data["price"] == Decimal("120.00")
    assert cancel.is_valid(), cancel.errors
    assert cancel.cleaned_data["refund_percent"] == Decimal("12.50")
    assert 'value="1234.50"' in shown


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["nl", "pt-br"])
def test_posting_a_listing_with_a_decimal_point_works_in_a_comma_language(client, code):
    # given: a signed-in user who reads the site in Dutch or Portuguese
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": code, "next": "/"})

    # when: the browser sends the price as a type=number input does
    response = client.post(
        reverse("listing_create"),
        {"kind": "service", "title": "Logo design", "price": "120.00", "currency": "EUR", "delivery_days": "3"},
    )

    # then
    listing = Listing.objects.get(owner=user)
    assert response.status_code == 302
    assert listing.price == Decimal("120.00")


@pytest.mark.django_db
def test_what_the_system_stored_as_data_reads_in_the_readers_language():
    from django.utils import translation

    from core.templatetags.gigfair import system_text

    with translation.override("nl"):
        assert system_text("Gigfair standard terms") == translation.gettext("Gigfair standard terms")
        assert system_text("Simulated card •••• 4242") == translation.gettext("Simulated card") + " •••• 4242"
        assert system_text("Terms typed by staff") == "Terms typed by staff"
        assert system_text("") == ""
    assert system_text("Gigfair standard terms") != "" and translation.gettext("Simulated card") != ""


def test_a_time_near_now_also_says_how_far_it_is():
    from datetime import timedelta

    import time_machine
    from django.utils import timezone as tz

    from core.templatetags.gigfair import when, when_near

    now = tz.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        soon, past, far = now + timedelta(hours=3), now - timedelta(minutes=20), now + timedelta(days=5)
        assert when_near(soon).startswith(when(soon)) and "· in 3\u00a0hours" in when_near(soon)
        assert "· 20\u00a0minutes ago" in when_near(past)
        assert when_near(far) == when(far)
        assert when_near(None) == ""
