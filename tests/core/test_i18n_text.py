"""Text built now and translated later: core.i18n."""

from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from core.i18n import Catalog, Joined, Translatable, is_lazy, supported_language

CANCELLED = gettext_noop("Order #%(id)s “%(title)s” was cancelled")
REASON = gettext_noop("Reason: %(reason)s. Refund to client: %(refund)s %(cur)s.")


def test_a_translatable_is_rendered_in_the_language_active_when_rendered():
    # given: built while the page is in Chinese
    with translation.override("zh-hans"):
        text = Translatable(CANCELLED, {"id": 7, "title": "Logo"})

    # when / then
    with translation.override("nl"):
        assert str(text) == "Bestelling #7 “Logo” is geannuleerd"
    with translation.override("en"):
        assert str(text) == "Order #7 “Logo” was cancelled"


def test_lazy_labels_and_translatables_in_the_parameters_are_translated_too():
    text = Translatable(REASON, {"reason": gettext_lazy("client changed demand"), "refund": "72.00", "cur": "EUR"})

    with translation.override("pt-br"):
        assert str(text) == "Motivo: o cliente mudou o pedido. Reembolso ao cliente: 72.00 EUR."


def test_joined_texts_keep_plain_strings_as_written():
    text = Joined("\n\n", ["Sorry, the event was called off.", Translatable(gettext_noop("The ruling stands."))])

    with translation.override("nl"):
        rendered = str(text)

    assert rendered.startswith("Sorry, the event was called off.\n\n")
    assert rendered != "Sorry, the event was called off.\n\nThe ruling stands."


def test_a_catalog_renders_a_shared_text_once_per_language():
    # given: one text shared by two rows
    shared = Translatable(CANCELLED, {"id": 7, "title": "Logo"})

    # when
    with translation.override("pt-br"):
        catalog = Catalog()
        first, second = catalog.text(shared), catalog.text(shared)

    # then
    assert first is second
    assert first == "O pedido #7 “Logo” foi cancelado"
    assert catalog.text("Plain") == "Plain"


def test_only_translatables_and_lazy_strings_are_lazy():
    assert is_lazy(Translatable(CANCELLED))
    assert is_lazy(Joined(" ", []))
    assert is_lazy(gettext_lazy("Log in"))
    assert not is_lazy("Log in")


def test_a_language_code_is_brought_to_one_the_site_has():
    assert [supported_language(c) for c in ("en-us", "zh-Hans", "zh-CN", "zh-TW", "nl-BE", "pt-BR")] == [
        "en",
        "zh-hans",
        "zh-hans",
        "zh-hant",
        "nl",
        "pt-br",
    ]
    assert supported_language("de") == supported_language("") == supported_language(None) == ""
