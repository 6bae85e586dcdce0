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


def test_every_operation_documents_the_statuses_it_can_answer(schema):
    # then: throttling anywhere; a missing token where it is checked; a bad id in the path; the
    # Idempotency-Key's answers on every POST; bad page parameters on every list
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            label = f"{method} {path}"
            assert "429" in documented, label
            if path not in ("/api/v1/accounts/", "/api/v1/auth/token/"):
                assert "401" in documented, label
            if "{" in path:
                assert "404" in documented, label
            if method == "post":
                assert {"400", "409", "413", "415", "422"} <= documented, label
            if method in ("post", "put", "patch", "delete") and "401" in documented:
                assert "403" in documented, label  # a session without its CSRF token
            if "page" in {p["name"] for p in operation.get("parameters", [])}:
                assert {"400", "404"} <= documented, label


def test_page_parameters_state_their_bounds(schema):
    # then: a numbered list states its page; the order list is read by cursor
    numbered = schema["paths"]["/api/v1/cases/"]["get"]
    parameters = {p["name"]: p["schema"] for p in numbered["parameters"]}
    assert parameters["page"] == {"type": "integer", "minimum": 1}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}
    by_cursor = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert "page" not in by_cursor and by_cursor["cursor"] == {"type": "string"}
    assert by_cursor["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}


def test_texts_that_must_say_something_state_it(schema):
    # then: not empty, not only spaces, and no longer than the service takes
    components = schema["components"]["schemas"]
    requirements = components["OrderRequirementsInputRequest"]["properties"]["requirements"]
    assert (requirements["minLength"], requirements["maxLength"]) == (1, 20000)
    assert re.search(requirements["pattern"], "a") and not re.search(requirements["pattern"], " \t\x1c\u2003")
    statement = components["ClaimCreateInputRequest"]["properties"]["statement"]
    assert (statement["minLength"], statement["maxLength"]) == (1, 10000)
    title = components["ListingCreateInputRequest"]["properties"]["title"]
    assert (title["minLength"], title["maxLength"]) == (1, 140)
    username = components["AccountCreateInputRequest"]["properties"]["username"]
    assert username["minLength"] == 1 and username["maxLength"] == 150 and "pattern" in username
    assert components["AccountCreateInputRequest"]["properties"]["password"]["minLength"] == 8
    assert components["WebhookCreateInputRequest"]["properties"]["events"]["minItems"] == 1


def test_a_json_body_has_no_files_and_a_multipart_one_has(schema):
    # then
    for path in ("/api/v1/orders/{id}/deliver/", "/api/v1/orders/{id}/messages/", "/api/v1/tickets/"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        refs = {media: body["schema"]["$ref"].rsplit("/", 1)[1] for media, body in content.items()}
        components = schema["components"]["schemas"]
        assert "files" not in components[refs["application/json"]]["properties"], path
        assert "files" in components[refs["multipart/form-data"]]["properties"], path


def test_file_downloads_document_the_types_they_serve(schema):
    # then
    for path in ("/api/v1/evidence/{id}/file/", "/api/v1/messages/{id}/attachments/{attachment_id}/"):
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert {"image/png", "image/jpeg", "application/pdf"} <= set(content), path
