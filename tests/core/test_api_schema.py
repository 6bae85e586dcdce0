"""The OpenAPI schema describes every endpoint, and the docs page needs no CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = {
    "/api/v1/accounts/": {"post"},
    "/api/v1/auth/token/": {"post"},
    "/api/v1/me/": {"get"},
    "/api/v1/listings/": {"get", "post"},
    "/api/v1/listings/{id}/": {"get"},
    "/api/v1/orders/": {"get", "post"},
    "/api/v1/orders/{id}/": {"get"},
    "/api/v1/orders/{id}/requirements/": {"post"},
    "/api/v1/orders/{id}/deliver/": {"post"},
    "/api/v1/orders/{id}/accept-delivery/": {"post"},
    "/api/v1/orders/{id}/request-revision/": {"post"},
    "/api/v1/orders/{id}/check-in/": {"post"},
    "/api/v1/orders/{id}/complete/": {"post"},
    "/api/v1/webhooks/": {"get", "post"},
    "/api/v1/webhooks/{id}/": {"get", "patch", "delete"},
    "/api/v1/webhooks/{id}/rotate-secret/": {"post"},
    "/api/v1/webhooks/{id}/deliveries/": {"get"},
    "/api/v1/webhooks/{id}/test/": {"post"},
}


@pytest.fixture
def schema(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_validates_without_warnings():
    # when / then: raises on any warning or validation error
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_schema_describes_every_endpoint(schema):
    # then
    for path, methods in CONTRACT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_every_operation_documents_its_problems_as_problem_json(schema):
    # then
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))}
            assert errors, f"{method} {path}"
            for response in errors.values():
                assert list(response["content"]) == ["application/problem+json"], f"{method} {path}"


def test_every_post_documents_the_idempotency_key(schema):
    # then
    for path, operations in schema["paths"].items():
        if "post" in operations:
            names = {p["name"] for p in operations["post"].get("parameters", [])}
            assert "Idempotency-Key" in names, path
            assert "422" in operations["post"]["responses"], path


def test_money_is_a_decimal_string_in_responses(schema):
    # then
    price = schema["components"]["schemas"]["OrderOutput"]["properties"]["price"]
    assert price["type"] == "string"
    assert price["format"] == "decimal"


def test_docs_page_loads_only_local_assets(api):
    # when
    response = api.get("/api/v1/docs/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        # static files, and the page's start-up script from the page's own URL
        assert asset.startswith("/static/") or asset == "/api/v1/docs/?script=", asset
    assert "http://" not in html
    assert "https://" not in html
    assert "cdn" not in html.lower()


def test_docs_page_has_no_inline_script_or_style(api):
    # when
    html = api.get("/api/v1/docs/").content.decode()

    # then: the Content-Security-Policy allows scripts and styles from files only
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all(" src=" in tag for tag in scripts), scripts
    assert "<style" not in html
    assert 'src="/api/v1/docs/?script="' in html


def test_docs_start_up_script_turns_off_the_remote_validator_badge(api):
    # when
    response = api.get("/api/v1/docs/?script=")

    # then: Swagger UI would otherwise load a badge from validator.swagger.io
    assert response["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in response.content.decode()


def test_docs_assets_are_shipped_as_static_files(api):
    # given
    html = api.get("/api/v1/docs/").content.decode()

    # then
    for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(asset), asset
