"""Property-based run of every operation of the served OpenAPI document (schemathesis).

The schema is loaded from the Django WSGI application in-process and every generated
request goes through that application, authenticated with a key of a company created
here. Path ids are sometimes replaced by ids of real rows of that company (so reads and
updates of existing objects are exercised) and sometimes by ids of another company's rows
(which must never answer 2xx). Every request runs inside a savepoint that is rolled back
afterwards, so each example sees the same database and a failure replays exactly.

Checked: no 5xx, the status code and content type are documented, and the body conforms to
the documented schema. Positive and negative (schema-violating) inputs are generated; the
run is derandomized and bounded (MAX_EXAMPLES per operation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode
from schemathesis.core.result import Ok

from borrowers import services as borrower_services
from borrowers.models import Borrower, Case, Company, Contact, Document, Loan
from interactions.models import Interaction
from peachcomms.api.schema_constraints import PATH_ID_PREFIXES
from peachcomms.wsgi import application
from tests.factories import BorrowerFactory, ContactFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MAX_EXAMPLES = 10

REAL_SUBJECTS = ["paymentDueReminder", "freeForm", "locStatementGenerated"]

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


@dataclass
class Tenant:
    """One company's key and the ids of its rows, by id prefix."""

    company: Company
    raw_key: str
    ids: dict[str, list[str]] = field(default_factory=dict)


def _ids_by_prefix(company: Company) -> dict[str, list[str]]:
    """Ids (and ``ext-`` forms) of up to three rows of each company-owned model with a
    public id, found through the app registry so routes added later are covered too."""
    found: dict[str, list[str]] = {"CP": [company.pk]}
    for model in apps.get_models():
        default = model._meta.pk.default
        prefix = getattr(default, "args", (None,))[0] if callable(default) else None
        if not isinstance(prefix, str) or prefix == "CP":
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        if "company" not in field_names:
            continue
        rows = model._default_manager.filter(company=company)
        values = ["pk", "external_id"] if "external_id" in field_names else ["pk"]
        for row in rows.values(*values)[:3]:
            found.setdefault(prefix, []).append(row["pk"])
            if row.get("external_id"):
                found[prefix].append(f"ext-{row['external_id']}")
    return found


def _populate(company: Company, tag: str) -> None:
    borrower = BorrowerFactory(company=company, external_id=f"{tag}-B1")
    ContactFactory(borrower=borrower, external_id=f"{tag}-C1")
    ContactFactory(
        borrower=borrower,
        contact_type=Contact.ContactType.PHONE,
        value="+14155550100",
        receive_text_messages=True,
    )
    loan = Loan.objects.create(
        company=company, borrower=borrower, external_id=f"{tag}-L1", amount_due="12.34"
    )
    Case.objects.create(
        company=company, borrower=borrower, case_type=Case.CaseType.COLLECTION, loan_ids=[loan.pk]
    )
    Document.objects.create(company=company, borrower=borrower, file_name="statement.pdf", loan=loan)
    Interaction.objects.create(
        company=company,
        borrower=borrower,
        contact=borrower.contacts.first(),
        channel="email",
        direction=Interaction.Direction.OUTBOUND,
        subject="paymentDueReminder",
        theme="opsServicing",
    )
    BorrowerFactory(company=company)  # a second borrower, without records


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            # Every request carries a valid key (401s are tested elsewhere).
            "generation": {"with-security-parameters": False},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


# Loaded at collection from the application itself (no database needed: the schema is public).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", application, config=_config(), headers={"Accept": "application/json"}
)
#: The tenants of the running test, for the path-parameter hook below.
_current: dict[str, Tenant] = {}


def _path_parameter_choices(name: str, path: str) -> list[str]:
    own, other = _current["own"], _current["other"]
    if name == "subject":
        return REAL_SUBJECTS
    prefix = PATH_ID_PREFIXES.get(name)
    if prefix is None and name == "id" and "templatedescriptors" in path:
        prefix = "TD"
    if prefix is None:
        return []
    return [*own.ids.get(prefix, []), *other.ids.get(prefix, [])[:1]]


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict[str, Any] | None):  # noqa: ANN001, ANN201
    """Keep the generated value or name a real row (of this company, or of the other one)."""
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, *_path_parameter_choices(name, path)])
            for name, value in path_parameters.items()
        }
    )


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Call the WSGI application in-process on the test's connection: like Django's test
    client, keep the request signals from closing that connection (it holds the test's
    transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tenants(db, wsgi_in_test_transaction) -> Iterator[tuple[Tenant, Tenant]]:  # noqa: ANN001
    own = borrower_services.company_create(name="Property Lender")
    other = borrower_services.company_create(name="Other Lender")
    _populate(own, "own")
    _populate(other, "other")
    assert Borrower.objects.filter(company=own).count() == 2
    _current["own"] = Tenant(own, borrower_services.api_key_create(company=own).raw_key, _ids_by_prefix(own))
    _current["other"] = Tenant(
        other, borrower_services.api_key_create(company=other).raw_key, _ids_by_prefix(other)
    )
    yield _current["own"], _current["other"]
    _current.clear()


def _other_company_objects_stay_hidden(other: Tenant):  # noqa: ANN202
    other_ids = {value for values in other.ids.values() for value in values}

    def other_company_objects_stay_hidden(ctx, response, case) -> None:  # noqa: ANN001
        named = [value for value in (case.path_parameters or {}).values() if value in other_ids]
        if named and 200 <= response.status_code < 300:
            raise AssertionError(
                f"{case.method} {case.formatted_path} names another company's object {named} "
                f"and answered {response.status_code} (must be 404)"
            )

    return other_company_objects_stay_hidden


def _operations() -> list:
    params = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            params.append(pytest.param(result.ok(), id=result.ok().label))
        else:  # a definition schemathesis cannot use is a failure of the schema itself
            params.append(pytest.param(result.err(), id=f"invalid {result.err().path}"))
    return params


@pytest.mark.parametrize("operation", _operations())
def test_every_operation_conforms(operation, tenants):  # noqa: ANN001
    if not isinstance(operation, APIOperation):
        raise operation
    own, other = tenants
    hidden = _other_company_objects_stay_hidden(other)

    @hypothesis.settings(
        deadline=None,
        derandomize=True,
        max_examples=MAX_EXAMPLES,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(
        case=st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
    )
    def run(case) -> None:  # noqa: ANN001
        savepoint = transaction.savepoint()
        try:
            case.call_and_validate(headers={"X-API-KEY": own.raw_key}, additional_checks=[hidden])
        finally:
            transaction.savepoint_rollback(savepoint)

    run()
