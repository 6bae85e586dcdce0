"""The Content-Security-Policy allows scripts and styles from files only: every response sends it,
and no template or admin helper writes an inline script, a style="" attribute or an on* handler.

tests/test_browser_csp.py checks the same in a real browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
APPS = ("core", "credit", "marketplace", "orders", "disputes", "portal")
PYTHON = sorted(path for app in APPS for path in (ROOT / app).rglob("*.py"))

INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=\s*[\"']", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def _inline_code(text: str) -> list[str]:
    return [f"{name}: {match.group(0)!r}" for name, pattern in INLINE.items() for match in pattern.finditer(text)]


def test_the_scan_finds_what_it_looks_for():
    found = _inline_code('<script>x()</script><p style="a" onclick="b()"><style>p{}</style><a href="javascript:c()">')
    assert len(found) == 5
    assert _inline_code('<script src="/static/js/gigfair.js" defer></script><p class="style">') == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_no_template_writes_inline_code(template):
    assert _inline_code(template.read_text()) == []


def test_no_python_html_writes_inline_code():
    # format_html in admin columns and template tags
    found = {str(path.relative_to(ROOT)): _inline_code(path.read_text()) for path in PYTHON}
    assert {path: hits for path, hits in found.items() if hits} == {}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/login/", "/admin/login/", "/api/v1/docs/"])
def test_every_page_sends_the_policy(client, path):
    # when
    response = client.get(path)

    # then
    assert response.status_code == 200
    policy = dict(part.split(" ", 1) for part in response["Content-Security-Policy"].split("; "))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
