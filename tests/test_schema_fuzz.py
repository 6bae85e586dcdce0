"""The API answers as its OpenAPI schema says, for requests the schema allows and requests it forbids.

Schemathesis reads ``/api/v1/schema/`` from the WSGI application and, for every operation, sends
the schema's examples, the boundaries of every constraint (the coverage phase) and random
requests, valid and invalid, as the demo user ``ana`` (support's operations as the demo's
support superuser), with the ids of real objects in the paths. Every answer must be:

- no server error;
- an error (4xx) as application/problem+json;
- a status the operation documents;
- a content type and a body its schema describes.

Deterministic (a fixed seed, derandomized, no example database) and bounded (a few random
examples per operation), so it runs the same every time, on SQLite and on PostgreSQL.

Not checked here: that every request the schema allows is accepted. Some refusals depend on
data (an unknown listing, a taken username, a quote of another order), on other fields (a
cancel request needs a refund) or on a file's content, which a schema cannot state; their
codes are in each operation's description.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from core.webhooks.services import webhook_endpoint_create
from credit.models import CreditEvent
from disputes.services.appeals import appeal_file
from disputes.services.cases import case_add_evidence, case_open
from disputes.services.claims import claim_file
from disputes.services.requests import request_open
from disputes.services.tickets.filing import ticket_open
from marketplace.models import Listing, User
from marketplace.services import block_create
from orders.models import Order, OrderState, Review
from orders.threads import message_post
from tests.factories import UserFactory, service_order, shift_cancelled_late

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
SEED = 20260101
MAX_EXAMPLES = 8  # random examples per operation, besides the examples and the boundaries
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


@schemathesis.check
def errors_are_problem_json(ctx, response, case) -> bool | None:
    """Every 4xx and 5xx answer is RFC 9457 problem details."""
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
        if content_type != PROBLEM:
            raise AssertionError(f"{response.status_code} answered as {content_type!r}, not {PROBLEM}")
    return None


CHECKS = [
    not_a_server_error,
    errors_are_problem_json,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _demo_data() -> dict:
    """The demo, plus one of everything a path names; their ids, by what they are."""
    call_command("seed_demo", stdout=StringIO())
    ana, bram, chen = (User.objects.get(username=name) for name in ("ana", "bram", "chen"))
    awaiting = Order.objects.get(client=ana, provider=bram, state=OrderState.AWAITING_REQUIREMENTS)
    in_progress = Order.objects.get(client=ana, provider=chen, state=OrderState.IN_PROGRESS)
    completed = Order.objects.filter(client=ana, kind="service", state=OrderState.COMPLETED).first()
    booked = Order.objects.get(client=ana, state=OrderState.BOOKED)

    asked = request_open(
        order=in_progress,
        actor=chen,
        type="extend_delivery",
        message="Two more days?",
        new_due_at=in_progress.due_at + timedelta(days=2),
    )
    case = case_open(
        order=in_progress,
        actor=ana,
        category="not_as_described",
        statement="Not what we agreed.",
        desired_outcome="A partial refund.",
    )
    evidence = case_add_evidence(case=case, actor=ana, file=SimpleUploadedFile("proof.png", PNG))
    ticket = ticket_open(order=completed, actor=ana, type="quality_problem", description="The colours are off.")
    claimed = service_order(client=ana)
    claim = claim_file(order=claimed, actor=ana, kind="force_majeure", statement="The office flooded.")
    appealed = CreditEvent.objects.get(user=ana, order=shift_cancelled_late(provider=ana, price=Decimal("100.00")))
    appeal = appeal_file(event_id=appealed.pk, actor=ana, statement="I was in hospital.")
    penalty = CreditEvent.objects.get(user=ana, order=shift_cancelled_late(provider=ana, price=Decimal("100.00")))
    message = message_post(
        order=in_progress, author=chen, body="The plan.", files=[SimpleUploadedFile("plan.pdf", PDF)]
    )
    block = block_create(blocker=ana, blocked=UserFactory(), reason="spam")
    review = Review.objects.get(order=completed, author=ana)  # the demo's: both parties reviewed it
    # Port 9 (discard) on loopback: a delivery fails at once, and nothing leaves the machine.
    hooks = [webhook_endpoint_create(owner=ana, url="http://127.0.0.1:9/hooks", events=["*"]) for _ in range(2)]
    return {
        "order": in_progress.pk,
        "awaiting": awaiting.pk,
        "booked": booked.pk,
        "claimed": claimed.pk,
        "request": asked.pk,
        "case": case.pk,
        "evidence": evidence.pk,
        "ticket": ticket.pk,
        "claim": claim.pk,
        "appeal": appeal.pk,
        "penalty": penalty.pk,
        "message": message.pk,
        "attachment": message.attachments.get().pk,
        "block": block.pk,
        "webhook": hooks[0].pk,
        "webhook_to_delete": hooks[1].pk,
        "user": bram.pk,
        "username": bram.username,
        "review": review.pk,
        "completed": completed.pk,
        "listing": Listing.objects.filter(owner=bram).first().pk,
        # Offered in bodies, beside generated values: what can be ordered, filed on, blocked.
        "listings": list(Listing.objects.exclude(owner=ana).filter(is_active=True).values_list("pk", flat=True)),
        "orders": [in_progress.pk, completed.pk],
        "users": [chen.pk, UserFactory().pk],
    }


def _operations(ids: dict, *, support_token: str) -> list[dict]:
    """Per operation, the ids its path takes; the first entry that matches an operation decides."""
    paths = [
        ({"include-name": "DELETE /api/v1/webhooks/{id}/"}, {"id": ids["webhook_to_delete"]}),
        ({"include-path-regex": r"^/api/v1/orders/\{id\}/requirements/"}, {"id": ids["awaiting"]}),
        ({"include-path-regex": r"^/api/v1/orders/\{id\}/(check-in|complete)/"}, {"id": ids["booked"]}),
        ({"include-path-regex": r"^/api/v1/orders/\{id\}/claims/"}, {"id": ids["claimed"]}),
        ({"include-path-regex": r"^/api/v1/orders/\{id\}/reviews/"}, {"id": ids["completed"]}),
        ({"include-path-regex": r"^/api/v1/reviews/\{id\}/"}, {"id": ids["review"]}),
        ({"include-path-regex": r"^/api/v1/orders/\{id\}/"}, {"id": ids["order"]}),
        ({"include-path-regex": r"^/api/v1/requests/\{id\}/"}, {"id": ids["request"]}),
        ({"include-path-regex": r"^/api/v1/cases/\{id\}/"}, {"id": ids["case"]}),
        ({"include-path-regex": r"^/api/v1/evidence/\{id\}/"}, {"id": ids["evidence"]}),
        ({"include-path-regex": r"^/api/v1/tickets/\{id\}/"}, {"id": ids["ticket"]}),
        ({"include-path-regex": r"^/api/v1/(support/)?claims/\{id\}/"}, {"id": ids["claim"]}),
        ({"include-path-regex": r"^/api/v1/(support/)?appeals/\{id\}/"}, {"id": ids["appeal"]}),
        ({"include-path-regex": r"^/api/v1/me/credit/events/\{id\}/"}, {"id": ids["penalty"]}),
        (
            {"include-path-regex": r"^/api/v1/messages/\{id\}/"},
            {"id": ids["message"], "attachment_id": ids["attachment"]},
        ),
        ({"include-path-regex": r"^/api/v1/blocks/\{id\}/"}, {"id": ids["block"]}),
        ({"include-path-regex": r"^/api/v1/webhooks/\{id\}/"}, {"id": ids["webhook"]}),
        ({"include-path-regex": r"^/api/v1/users/\{username\}/"}, {"username": ids["username"]}),
        ({"include-path-regex": r"^/api/v1/listings/\{id\}/"}, {"id": ids["listing"]}),
    ]
    operations = [
        {**match, "parameters": {f"path.{name}": value for name, value in values.items()}} for match, values in paths
    ]
    # Support's queues and decisions, as support (anyone else gets 404 there).
    operations.append(
        {"include-path-regex": r"^/api/v1/support/", "headers": {"Authorization": f"Token {support_token}"}}
    )
    return operations


@pytest.fixture
def _one_connection():
    """Requests go to the WSGI application itself, not through Django's test client: keep them from
    closing the test's database connection at each request's end, as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, _one_connection, request):
    # Schemathesis 4.32 renames the test node per operation through ``_nodeid``, which pytest 9.2
    # no longer has: give it one to read (pytest's own node id is not changed by it).
    request.node._nodeid = request.node.nodeid
    ids = _demo_data()
    token = Token.objects.get_or_create(user=User.objects.get(username="ana"))[0].key
    support_token = Token.objects.get_or_create(user=User.objects.get(username="admin"))[0].key
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Token {token}"},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {
                # Methods an operation does not have are DRF's 405 everywhere: not worth a third of the run.
                "coverage": {"unexpected-methods": []},
                "stateful": {"enabled": False},
            },
            # Half the time, a body names an object that exists, so creating succeeds as well.
            "dictionaries": {name: {"values": ids[name]} for name in ("listings", "orders", "users")},
            "parameters": {
                "body.listing": {"dictionary": "listings", "probability": 0.5},
                "body.order": {"dictionary": "orders", "probability": 0.5},
                "body.user": {"dictionary": "users", "probability": 0.5},
            },
            "operations": _operations(ids, support_token=support_token),
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", application, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")
_keys = itertools.count(1)


@schema.parametrize()
def test_the_api_answers_as_its_schema_says(case):
    # A generated Idempotency-Key is mostly the same short value: sent as it is, nearly every POST
    # after the first would be 422 for reusing it. Each request gets its own key instead (a
    # malformed one is sent as generated, to be refused).
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 0 < len(key) <= 255:
        case.headers["Idempotency-Key"] = f"fuzz-{next(_keys)}"
    case.call_and_validate(checks=CHECKS)
