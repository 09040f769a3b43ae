"""API fuzzing: every operation of the generated OpenAPI schema, called with a valid token of each role.

Schemathesis reads the schema the app serves at ``/api/v1/schema/`` and generates requests from it: the
schema's examples, boundary and type-violating values (coverage phase) and random ones (fuzzing phase). Each is
sent in-process to the WSGI app, on the pytest-django test database, once with the token of each role: a
provider's system, a clerk and a manager of Sörmland (04), and an admin (the coverage phase's values with the
narrowest and the widest of them, see ``_roles_for``). Every response must

- not be a 5xx;
- have a status code the schema documents for the operation;
- have the documented media type and a body that matches the schema for that code.

Random values rarely name an existing object or make a valid contact, so half of the path parameters name
objects of the test data and half of the bodies of the creating operations are valid ones with generated
text, dates and amounts (the rest stay as generated). A failure is fixed in the app (document the code, fix
the bug), never by loosening the checks.

Every response must also refuse data outside the schema (schemathesis' ST201), except the bulk endpoint's body.

Bounded and reproducible: a fixed seed, derandomized Hypothesis, ``MAX_EXAMPLES`` per operation, no deadline
(a PDF preview takes a while). About 6 000 requests in a minute and a half to two minutes on a two-core
machine, most of it spent in Django answering them. So that the suite keeps looking rather than repeat itself, a
second seed runs the fuzzing phase again (``SECOND_SEED_EXAMPLES``) and the stateful phase runs sequences of linked
calls (``STATEFUL_SCENARIOS``, ``STATEFUL_STEPS``): together about 40 s more.
"""

import datetime as dt

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_submit
from contacts.models import Contact, Content, Mode
from disputes.models import Dispute, DisputeAttachment
from disputes.services import dispute_comment, dispute_open
from regions.models import Profession, Provider, RateRecommendation, Role
from regions.services import api_client_create
from tests.billing.conftest import january, run_now, staff  # noqa: F401 (shared fixtures)
from tests.factories import contact_item, personnummer, valid_org_number

SEED = 20261005
# Examples per operation in the fuzzing phase (the examples and coverage phases add a few of their own);
# each is sent once per role.
MAX_EXAMPLES = 15
ROLES = (Role.PROVIDER, Role.CLERK, Role.MANAGER, Role.ADMIN)


def schema_rejections_are_refused(ctx, response, case):
    """ST201: data outside the schema is refused (a 4xx). Not for the bulk endpoint's body: API.md has it take
    invalid items and report each in ``errors`` (200), storing the valid ones; nor for a body ``flatmap_body`` put
    in place of a generated one (it is valid whatever the case was generated to be).

    (ST202, valid data refused, is not a check of the suite: a body or a filter the schema allows may still break a
    rule no schema can say, a check digit or an object that does not exist, and its 400 is the API's documented
    answer. The cases schemathesis found are tests of their own, in ``tests/test_api_edges.py``.)"""
    if case.operation.path == "/api/v1/contacts/bulk/" or isinstance(case.body, ValidBody):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    schema_rejections_are_refused,
]

# Identifiers of the test data by the first segment of an operation's path, filled by ``world``.
KNOWN: dict[str, list] = {}


@pytest.fixture
def world(db, providers, staff, january):  # noqa: F811
    """Contacts (eligible and rejected), a draft and a submitted invoice, their run, an open dispute with a
    comment, and a token per role. Returns the tokens by role."""
    run_now(by=staff["clerk04"])
    invoice_submit(invoice=Invoice.objects.get(seller_id="04", buyer_id="01"), by=staff["clerk04"])
    dispute = dispute_open(
        contact=Contact.objects.get(external_id="phone"), by=staff["clerk04"], reason="Videosamtal, se journalen."
    )
    evidence = SimpleUploadedFile("journalutdrag.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    dispute_comment(dispute=dispute, by=staff["clerk04"], text="Journalutdrag bifogas.", attachments=[evidence])
    tokens = {}
    for role, scope in (
        (Role.PROVIDER, {"provider_hsa_id": providers["04a"].hsa_id}),
        (Role.CLERK, {"region_code": "04"}),
        (Role.MANAGER, {"region_code": "04"}),
        (Role.ADMIN, {}),
    ):
        _client, tokens[role] = api_client_create(name=f"fuzz-{role}", role=role, **scope)
    KNOWN.clear()
    KNOWN.update(
        {
            "contacts": list(Contact.objects.values_list("pk", flat=True)),
            "disputes": list(Dispute.objects.values_list("pk", flat=True)),
            "dispute-attachments": list(DisputeAttachment.objects.values_list("comment__dispute_id", "pk")),
            "invoices": list(Invoice.objects.values_list("pk", flat=True)),
            "invoice-runs": list(InvoiceRun.objects.values_list("pk", flat=True)),
            "regions": ["01", "04", "06", "25"],
            "providers": list(Provider.objects.values_list("hsa_id", flat=True)),
            "professions": list(Profession.objects.order_by("code").values_list("code", flat=True)[:5]),
            "recommendations": list(RateRecommendation.objects.values_list("code", flat=True)),
            "provider-hsa-id": [providers["04a"].hsa_id],
        }
    )
    yield tokens
    KNOWN.clear()


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection():
    """As in Django's test client: a request does not close the database connection, which holds the test's
    transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# The schema exactly as clients get it, fetched in-process when the module is collected (generating it reads
# no data). The hooks below run during the test, when ``world`` has filled ``KNOWN``.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
schema.config.seed = SEED


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time the path names an existing object (one of the test data); otherwise it is generated."""
    values = KNOWN.get(_resource(context.operation))
    if not path_parameters or not values:
        return st.just(path_parameters)
    if set(path_parameters) == {"id", "attachment_id"}:  # a case's evidence file: the pair that belongs together
        pairs = st.sampled_from(KNOWN["dispute-attachments"]).map(lambda p: {"id": p[0], "attachment_id": p[1]})
        return st.one_of(st.just(path_parameters), pairs)
    (name,) = path_parameters
    return st.one_of(st.just(path_parameters), st.sampled_from(values).map(lambda value: {name: value}))


@schema.hook
def flatmap_body(context, body):
    """Half the time a creating operation gets a valid body with generated text, times and amounts."""
    valid = _valid_bodies(context.operation)
    return st.just(body) if valid is None else st.one_of(st.just(body), valid)


class ValidBody(dict):
    """A body made by ``_valid_bodies``, recognisable after schemathesis has sent it."""


def _resource(operation) -> str:
    return operation.path.removeprefix("/api/v1/").split("/")[0]


# Any text but control characters (refused in identifiers) and lone surrogates (not encodable).
_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=64).filter(str.strip)


def _valid_contacts():
    return st.builds(
        lambda external_id, started, fee, mode, content, profession, home_region: contact_item(
            external_id=external_id,
            provider=KNOWN["provider-hsa-id"][0],
            patient_id=personnummer("19850312", "238"),
            started_at=started.isoformat(),
            patient_fee=f"{fee:.2f}",
            mode=mode,
            content=content,
            profession=profession,
            home_region=home_region,
        ),
        external_id=_TEXT,
        started=st.datetimes(
            min_value=dt.datetime(2018, 1, 1),
            max_value=dt.datetime(2026, 1, 31),
            timezones=st.sampled_from(
                [dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-14))]
            ),
        ),
        fee=st.decimals(min_value=0, max_value=1000, places=2),
        mode=st.sampled_from(Mode.values),
        content=st.sampled_from(Content.values),
        profession=st.sampled_from(["LK", "PS", "SJ", "XX"]),
        home_region=st.sampled_from(["01", "04", "25"]),
    )


def _valid_bodies(operation):
    strategy = _valid_body_strategy(operation)
    return None if strategy is None else strategy.map(lambda body: ValidBody(body) if isinstance(body, dict) else body)


def _valid_body_strategy(operation):
    label = f"{operation.method.upper()} {operation.path}"
    if label == "POST /api/v1/contacts/":
        return _valid_contacts()
    if label == "POST /api/v1/contacts/bulk/":
        return st.lists(_valid_contacts(), min_size=1, max_size=3)
    if label == "POST /api/v1/invoice-runs/":
        return st.fixed_dictionaries(
            {"billing_region": st.sampled_from(["04", "06"]), "period": st.sampled_from(["2025-12", "2026-01"])}
        )
    if label == "POST /api/v1/disputes/":
        return st.fixed_dictionaries({"contact": st.sampled_from(KNOWN["contacts"]), "reason": _TEXT})
    if label == "POST /api/v1/providers/":
        return st.builds(
            lambda serial, name, region: {
                "hsa_id": f"SE{valid_org_number(serial)}-F{serial}",
                "name": name,
                "org_number": valid_org_number(serial),
                "region": region,
            },
            serial=st.integers(min_value=900_000, max_value=999_999),
            name=st.text(min_size=1, max_size=200).filter(str.strip),
            region=st.sampled_from(["04", "25"]),
        )
    return None


def _roles_for(case) -> tuple[Role, ...]:
    """Every role for the schema's examples and the fuzzing phase. The coverage phase's boundary and invalid
    values meet the same validation whoever sends them: there the narrowest and the widest scope suffice, and a
    method the operation does not have (which it also tries) is refused alike for everyone."""
    if case.method.upper() != case.operation.method.upper():
        return (Role.PROVIDER,)
    if case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE:
        return (Role.PROVIDER, Role.ADMIN)
    return ROLES


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_breaks_the_api_or_its_contract(case, world):
    for role in _roles_for(case):
        try:
            case.call_and_validate(headers={"Authorization": f"Token {world[role]}"}, checks=CHECKS)
        except Exception as failure:
            failure.add_note(f"Sent with the token of a {role} client.")
            raise


# --- A second seed: the fuzzing phase again, with other random values ---------------------------------------------
# The examples and coverage phases are the same whatever the seed, so the second run is the fuzzing phase alone, with
# fewer examples, for the provider (narrowest scope) and the admin (widest). Bounded: see SECOND_SEED_EXAMPLES.

SECOND_SEED = 20261206
SECOND_SEED_EXAMPLES = 5
second = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
second.config.seed = SECOND_SEED
second.config.phases.examples.enabled = False
second.config.phases.coverage.enabled = False
second.hook(flatmap_path_parameters)
second.hook(flatmap_body)


@second.parametrize()
@settings(
    max_examples=SECOND_SEED_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_of_a_second_seed_breaks_the_api_or_its_contract(case, world):
    for role in (Role.PROVIDER, Role.ADMIN):
        try:
            case.call_and_validate(headers={"Authorization": f"Token {world[role]}"}, checks=CHECKS)
        except Exception as failure:
            failure.add_note(f"Sent with the token of a {role} client (seed {SECOND_SEED}).")
            raise


# --- The stateful phase: sequences of requests ----------------------------------------------------------------------
# Schemathesis infers links between operations from the schema (the id a creating operation answers is the path
# parameter of others: a contact created, then rejected, disputed, commented on; a run started, then read) and runs
# random sequences of linked calls, each response checked like any other. Each sequence is one role's (drawn at its
# start), so that what one call creates the next may act on. Bounded: STATEFUL_SCENARIOS sequences of at most
# STATEFUL_STEPS calls, from a fixed seed.

STATEFUL_SCENARIOS = 80
STATEFUL_STEPS = 8
TOKENS: dict[Role, str] = {}
STEPS_TAKEN: list[tuple[bool, int]] = []


class ApiWorkflow(schema.as_state_machine()):
    role = Role.CLERK

    def setup(self):
        # Every sequence starts from the same data (the test's world): Hypothesis replays and shrinks sequences,
        # which must then meet the same answers.
        self._savepoint = transaction.savepoint_create()

    def teardown(self):
        transaction.savepoint_rollback(self._savepoint)

    @initialize(role=st.sampled_from(ROLES))
    def sign_in(self, role):
        self.role = role

    def step(self, input):
        output = super().step(input)
        # A call that followed a link with the value a previous response gave, and how it was answered.
        STEPS_TAKEN.append((input.transition is not None and input.is_applied, output.response.status_code))
        return output

    def get_call_kwargs(self, case):
        return {"headers": {"Authorization": f"Token {TOKENS[self.role]}"}}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        try:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
        except Exception as failure:
            failure.add_note(f"In a sequence of calls with the token of a {self.role} client.")
            raise


def test_sequences_of_requests_keep_the_api_and_its_contract(world):
    TOKENS.update(world)
    try:
        run_state_machine_as_test(
            seed(SEED)(ApiWorkflow),
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        TOKENS.clear()
    linked_successes = sum(1 for linked, status in STEPS_TAKEN if linked and status < 300)
    print(f"{len(STEPS_TAKEN)} calls, {linked_successes} of them followed a link and succeeded")
    assert len(STEPS_TAKEN) >= STATEFUL_SCENARIOS  # the sequences ran
    assert linked_successes >= 10  # and acted on what earlier calls made or found
    STEPS_TAKEN.clear()


def test_every_operation_documents_the_errors_a_client_can_meet():
    operations = {f"{r.ok().method.upper()} {r.ok().path}": r.ok().definition.raw for r in schema.get_all_operations()}

    assert {
        "POST /api/v1/contacts/",
        "POST /api/v1/contacts/bulk/",
        "GET /api/v1/invoices/{id}/specification.csv",
        "POST /api/v1/invoices/{id}/approve/",
        "POST /api/v1/disputes/{id}/resolve/",
    } <= set(operations)
    for label, operation in operations.items():
        codes = set(operation["responses"])
        assert {"400", "401", "403"} <= codes, label
        if "{" in label:
            assert "404" in codes, label
        if "requestBody" in operation:
            assert {"413", "415"} <= codes, label
    for label in ("POST /api/v1/contacts/", "POST /api/v1/invoices/{id}/approve/", "POST /api/v1/disputes/"):
        assert "409" in operations[label]["responses"], label
