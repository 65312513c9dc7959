"""``interaction_new`` builds what ``Interaction(**values)`` builds: every field value, the
cached related objects, fresh defaults per call; and it saves and reads back the same."""

from __future__ import annotations

import datetime as dt

import pytest

from interactions.models import Interaction
from interactions.services.construction import interaction_new
from peachcomms.db import insert
from tests.factories import ContactFactory, InteractionFactory, LoanFactory

pytestmark = pytest.mark.django_db

STAMP = dt.datetime(2026, 11, 26, 14, 15, 22, 123456, tzinfo=dt.UTC)


def field_values(interaction: Interaction) -> dict:
    return {field.attname: getattr(interaction, field.attname) for field in Interaction._meta.concrete_fields}


@pytest.fixture
def values(borrower):  # noqa: ANN001, ANN201
    loan = LoanFactory(borrower=borrower)
    return {
        "company": borrower.company,
        "borrower": borrower,
        "contact": ContactFactory(borrower=borrower),
        "channel": "email",
        "direction": Interaction.Direction.OUTBOUND,
        "subject": "paymentProcessed",
        "theme": "opsServicing",
        "status": Interaction.Status.SCHEDULED,
        "status_updated_at": STAMP,
        "is_transactional": True,
        "external_id": None,
        "previous_interaction": InteractionFactory(borrower=borrower),
        "loan_id": loan.pk,
        "loan_ids": [loan.pk],
        "case_id": None,
        "statement_id": None,
        "supercase_bulk_operation_id": "BULK-1",
        "template_version_id": None,
        "send_at": STAMP,
        "enqueued_at": STAMP,
        "content": {"subjectLine": "Hi", "to": "ada@example.com"},
        "meta_data": {},
        "created_by": {"id": "AK-1", "userType": "integration"},
        "compliance_checked": True,
    }


def test_it_is_what_the_model_constructor_builds(values):
    want, got = Interaction(**values), interaction_new(**values)
    assert got.pk.startswith("IT-") and got.pk != want.pk
    assert {**field_values(got), "id": None} == {**field_values(want), "id": None}
    assert got._state.fields_cache == want._state.fields_cache
    assert got._state.adding and got.company is values["company"] and got.contact is values["contact"]


def test_fields_not_given_take_their_defaults_and_relations_may_be_none(company):
    want = Interaction(company=company, borrower=None, contact=None, channel="chat")
    got = interaction_new(company=company, borrower=None, contact=None, channel="chat")
    assert {**field_values(got), "id": None} == {**field_values(want), "id": None}
    assert (
        got._state.fields_cache
        == want._state.fields_cache
        == {
            "company": company,
            "borrower": None,
            "contact": None,
        }
    )
    assert got.status == "scheduled" and got.loan_ids == [] and got.meta_data == {} and got.last_error == ""


def test_mutable_defaults_and_ids_are_new_on_every_call(company):
    first, second = interaction_new(company=company), interaction_new(company=company)
    assert first.pk != second.pk
    assert first.loan_ids is not second.loan_ids and first.meta_data is not second.meta_data


def test_an_unknown_keyword_is_refused_like_the_constructor_does(company):
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        interaction_new(company=company, colour="peach")


def test_it_saves_and_reads_back_as_the_constructor_s_instance_does(values):
    built, reference = interaction_new(**values), Interaction(**values)
    insert(built)
    insert(reference)
    stored, stored_reference = (Interaction.objects.get(pk=row.pk) for row in (built, reference))
    ignored = {"id": None, "created_at": None, "updated_at": None}
    assert {**field_values(stored), **ignored} == {**field_values(stored_reference), **ignored}
    assert not built._state.adding and built._state.db == "default"
