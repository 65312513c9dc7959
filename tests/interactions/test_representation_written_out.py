"""InteractionSerializer's written-out ``to_representation`` gives what DRF's
``Serializer.to_representation`` gives over the same fields, byte for byte: for interactions
with empty, null and every set value, fresh and read back (with and without the list's
join), in any time zone and date format, with and without ``readSensitive``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from borrowers import services as borrower_services
from borrowers.models import Company
from interactions.api.serializers import InteractionSerializer
from interactions.models import Interaction
from interactions.selectors import interaction_queryset
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    ContactFactory,
    DueInteractionFactory,
    InteractionFactory,
    LoanFactory,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 8, 7, 30, 15, 123456, tzinfo=UTC)  # a DST change in the US
ACTOR = {"id": "AK-1234-5678", "name": "Back office", "userType": "integration", "descriptor": None}


def _interactions(company: Company) -> list[Interaction]:
    borrower = BorrowerFactory(company=company)
    loan = LoanFactory(borrower=borrower)
    contact = ContactFactory(borrower=borrower, external_id="crm-contact-1")
    first = InteractionFactory(borrower=borrower)
    rows = [
        first,
        InteractionFactory(borrower=borrower, theme=None, subject=None, channel="voice", loan_ids=[]),
        DueInteractionFactory(borrower=borrower, contact=contact),
        DueInteractionFactory(borrower=borrower, sensitive=True),
        DueInteractionFactory(
            borrower=borrower,
            contact=contact,
            sensitive=True,
            status=Interaction.Status.SUCCEEDED,
            status_details="voiceLeftVoicemail",
            status_updated_at=T0,
            status_details_updated_at=T0 + timedelta(microseconds=1),
            agent_outcome="voiceSpokeWithFirstParty",
            agent_outcome_updated_at=T0,
            is_transactional=True,
            is_external=True,
            external_id="ext/é 1",
            previous_interaction=first,
            loan=loan,
            loan_ids=[loan.pk, "LN-0000-0000"],
            case=CaseFactory(borrower=borrower),
            statement_id="DD-1111-2222",
            supercase_bulk_operation_id="bulk-1",
            template_version_id="TV-1234-5678",
            started_at=T0,
            ended_at=T0 + timedelta(minutes=3),
            scheduled_at_from=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
            scheduled_at_to=datetime(2026, 11, 1, 18, 0, tzinfo=UTC),
            meta_data={"campaign": "spring", "n": 3, "nested": {"list": [1, None, "é"]}},
            twilio_error_code="30003",
            failure_description_short="Unreachable",
            failure_description_long="The handset was off.\nTry later.",
            compliance_guard_rule_id="CG-1234-5678",
            created_by=ACTOR,
            last_task_meta={"attempt": 2, "at": "2026-03-08T07:30:15Z"},
            deleted_at=T0,
        ),
        DueInteractionFactory(
            borrower=borrower, content={"subjectLine": None, "attachments": None}, meta_data={}
        ),
        DueInteractionFactory(borrower=borrower, content=None, created_by=None, last_task_meta=None),
    ]
    pks = [row.pk for row in rows]
    return [
        *rows,
        *interaction_queryset().filter(pk__in=pks).order_by("pk"),
        *Interaction.objects.filter(pk__in=pks).order_by("pk"),
    ]


def _drf(instance: Interaction, context: dict[str, Any]) -> Any:
    return serializers.Serializer.to_representation(InteractionSerializer(context=context), instance)


def _contexts(company: Company) -> list[dict[str, Any]]:
    return [
        {},
        {"api_key": borrower_services.api_key_create(company=company).api_key},
        {
            "api_key": borrower_services.api_key_create(
                company=company, permissions=["interactions:read"]
            ).api_key
        },
    ]


@pytest.mark.parametrize("time_zone", ["UTC", "America/Chicago"])
@pytest.mark.parametrize("date_format", [None, "iso-8601"])
def test_written_out_is_drf_s(company: Company, time_zone: str, date_format: str | None) -> None:
    rest = {**settings.REST_FRAMEWORK, **({"DATETIME_FORMAT": date_format} if date_format else {})}
    rows = _interactions(company)
    with override_settings(REST_FRAMEWORK=rest), timezone.override(time_zone):
        for context in _contexts(company):
            for row in rows:
                written = InteractionSerializer(row, context=dict(context)).data
                drf = _drf(row, dict(context))
                assert list(written) == list(drf)
                assert JSONRenderer().render(written) == JSONRenderer().render(drf)
            listed = InteractionSerializer(rows, many=True, context=dict(context)).data
            assert JSONRenderer().render(listed) == JSONRenderer().render(
                [_drf(row, dict(context)) for row in rows]
            )


def test_a_serializer_whose_fields_were_changed_takes_drf_s_path(company: Company) -> None:
    serializer = InteractionSerializer(DueInteractionFactory(borrower__company=company))
    del serializer.fields["metaData"]
    assert "metaData" not in serializer.data and "content" in serializer.data
