"""Representation plans (``peachcomms.api.representation.RepresentationPlanMixin``): every
serializer the API represents objects with gives, from its plan, exactly the bytes plain
DRF gives, and builds its fields once per class rather than once per object."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from borrowers import services as borrower_services
from borrowers.api.serializers import CompanySerializer
from borrowers.models import Borrower, Case, Company, Contact, Document, Loan
from compliance.models import ComplianceRule, ComplianceRuleChange, DoNotInteract
from compliance.services import rule_update, rules_create_defaults
from interactions.api.serializers import READ_SENSITIVE, InteractionSerializer
from interactions.models import Interaction
from interactions.selectors import interaction_queryset
from peachcomms.api import representation as api_representation
from peachcomms.api.representation import RepresentationPlanMixin, representation_plan
from peachcomms.api.serializers import CamelModelSerializer
from subjects.api.serializers import SubjectDescriptorSerializer
from subjects.selectors import subject_descriptors
from templating.models import TemplateDescriptor, TemplateVersion
from templating.services import template_version_activate
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    CompanyFactory,
    ContactFactory,
    DocumentFactory,
    DoNotInteractFactory,
    DueInteractionFactory,
    InteractionFactory,
    LoanFactory,
    TemplateDescriptorFactory,
    TemplateVersionFactory,
)

T0 = datetime(2026, 3, 8, 7, 30, 15, 123456, tzinfo=UTC)  # a DST change in the US
ACTOR = {"id": "AK-1234-5678", "name": "Back office", "userType": "integration", "descriptor": None}


def _project_serializer_modules() -> list[Any]:
    modules = []
    for config in apps.get_app_configs():
        if Path(config.path).parent != Path(settings.BASE_DIR):
            continue  # not one of the project's apps
        name = f"{config.name}.api.serializers"
        if importlib.util.find_spec(f"{config.name}.api") and importlib.util.find_spec(name):
            modules.append(importlib.import_module(name))
    return modules


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def planned_serializers() -> list[type]:
    """Every serializer class of the apps' ``api.serializers`` modules represented by plan."""
    names = {module.__name__ for module in _project_serializer_modules()}
    found = {
        cls
        for cls in _subclasses(RepresentationPlanMixin)
        if cls.__module__ in names
        and not (issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"))
    }  # (a ModelSerializer without Meta is a base class, RecordSerializer)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


def _views(patterns: list[Any]) -> Iterator[type]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            yield pattern.callback.cls


def test_every_output_serializer_of_the_api_is_represented_by_plan() -> None:
    classes = planned_serializers()
    assert {cls.__name__ for cls in classes} >= {
        "BorrowerSerializer",
        "CaseSerializer",
        "CompanySerializer",
        "ComplianceRuleChangeSerializer",
        "ComplianceRuleSerializer",
        "ContactSerializer",
        "DoNotInteractSerializer",
        "DocumentSerializer",
        "InteractionSerializer",
        "LoanSerializer",
        "SubjectDescriptorSerializer",
        "TemplateDescriptorSerializer",
        "TemplateVersionSerializer",
    }
    # The serializer of every API view that represents model rows (a view's
    # ``output``/``respond_list`` default) has a plan; a plain Serializer there is a request
    # body, except the subject descriptors.
    view_serializers = {
        view.serializer_class
        for view in _views(get_resolver().url_patterns)
        if isinstance(getattr(view, "serializer_class", None), type)
    }
    outputs = {
        cls
        for cls in view_serializers
        if issubclass(cls, serializers.ModelSerializer) or cls is SubjectDescriptorSerializer
    }
    assert outputs, "no API view found"
    assert outputs <= set(classes)
    for cls in classes:
        assert representation_plan(cls) is not None, f"{cls.__name__} falls back to DRF's path"


# Objects to represent: every model of a planned serializer, with empty, null and nested
# values, through the API's querysets as well as fresh from the factories.


def _interactions(company: Company) -> list[Any]:
    borrower = BorrowerFactory(company=company)
    loan = LoanFactory(borrower=borrower)
    case = CaseFactory(borrower=borrower)
    contact = ContactFactory(borrower=borrower, external_id="crm-contact-1")
    first = InteractionFactory(borrower=borrower)
    rows = [
        first,
        InteractionFactory(borrower=borrower, theme=None, subject="", channel="voice", loan_ids=[]),
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
            case=case,
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
            borrower=borrower,
            content={"subjectLine": None, "attachments": None, "extra": "dropped"},
            meta_data={},
        ),
        DueInteractionFactory(
            borrower=borrower,
            content={
                "subjectLine": "Statement",
                "contentText": "",
                "contentHtml": "<p>&amp;</p>",
                "to": "+15555550100",
                "from": "+15555550199",
                "attachments": ["DD-1111-2222", "DD-3333-4444"],
                "providerMessageId": "SM123",
            },
        ),
    ]
    pks = [row.pk for row in rows]
    return [
        *rows,
        *interaction_queryset().filter(pk__in=pks).order_by("pk"),
        *Interaction.objects.filter(pk__in=pks).order_by("pk"),
    ]


def _borrowers(company: Company) -> list[Any]:
    rows = [
        BorrowerFactory(company=company),
        BorrowerFactory(
            company=company,
            borrower_type=Borrower.BorrowerType.BUSINESS,
            business_name="Peach Bakery LLC",
            first_name="",
            last_name="",
            middle_name="Q",
            preferred_first_name="Al",
            timezone="America/Chicago",
            display_id="B-1",
            external_id="crm-1",
            statement_delivery_channels=["email", "mail"],
            send_reminders_when_current=False,
            meta_data={"score": 700, "tags": ["a", "b"], "none": None},
        ),
    ]
    return [*rows, *Borrower.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")]


def _contacts(company: Company) -> list[Any]:
    borrower = BorrowerFactory(company=company)
    rows = [
        ContactFactory(borrower=borrower),
        ContactFactory(
            borrower=borrower,
            contact_type=Contact.ContactType.PHONE,
            value="+15555550100",
            label=Contact.Label.WORK,
            receive_text_messages=True,
            receive_text_messages_last_consent_at=T0,
            consent_autodialed_call=True,
            phone_disconnection_details={"disconnected": True, "at": "2026-01-01"},
            external_id="crm-phone",
        ),
        ContactFactory(
            borrower=borrower,
            contact_type=Contact.ContactType.ADDRESS,
            value="",
            address_line1="1 Peach St",
            address_line2="",
            city="Atlanta",
            state="GA",
            postal_code="30301-1234",
            country="US",
            authorized_third_party=True,
            power_of_attorney=True,
            valid=False,
            verified=True,
        ),
    ]
    return [*rows, *Contact.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")]


def _loans(company: Company) -> list[Any]:
    rows = [
        LoanFactory(borrower__company=company),
        LoanFactory(
            borrower__company=company,
            display_id="L-1",
            status=Loan.Status.ACTIVE,
            amount_due=Decimal("1234.50"),
            due_date=date(2026, 12, 1),
            days_past_due=17,
            product_name="Personal loan",
            meta_data={"apr": "12.5"},
            external_id="loan-ext",
        ),
    ]
    return [*rows, *Loan.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")]


def _cases(company: Company) -> list[Any]:
    loan = LoanFactory(borrower__company=company)
    rows = [
        CaseFactory(borrower=loan.borrower),
        CaseFactory(
            borrower=loan.borrower,
            case_type=Case.CaseType.BANKRUPTCY,
            status=Case.Status.COMPLETED,
            loan_ids=[loan.pk],
            started_at=T0,
            closed_at=T0 + timedelta(days=30),
            meta_data={"chapter": 7},
        ),
    ]
    return [*rows, *Case.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")]


def _documents(company: Company) -> list[Any]:
    loan = LoanFactory(borrower__company=company)
    rows = [
        DocumentFactory(borrower=loan.borrower),
        DocumentFactory(
            borrower=loan.borrower,
            loan=loan,
            file_name="",
            content_type="",
            content_length=2**40,
            description="Letter",
            template_version_id="TV-1234-5678",
            autogenerated=True,
            status=Document.Status.ACCEPTED,
        ),
    ]
    return [*rows, *Document.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")]


def _companies(company: Company) -> list[Any]:
    rows = [
        company,
        CompanyFactory(
            support_phone="+15555550100",
            support_email="help@peach.example",
            help_text="Reply STOP to stop.",
            mailing_address={"addressLine1": "1 Peach St", "city": "Atlanta", "state": "GA"},
        ),
        CompanyFactory(mailing_address={"country": "CA"}),
    ]
    return [*rows, *Company.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")]


def _compliance_rules(company: Company) -> list[Any]:
    rules = rules_create_defaults(company)
    assert rules
    rule_update(rules[0], {"enabled": False, "description": "Off for now"}, ACTOR)
    return list(ComplianceRule.objects.filter(company=company).order_by("pk"))


def _compliance_rule_changes(company: Company) -> list[Any]:
    _compliance_rules(company)
    changes = list(ComplianceRuleChange.objects.filter(company=company).order_by("pk"))
    assert any(change.before is not None for change in changes)
    return changes


def _do_not_interacts(company: Company) -> list[Any]:
    borrower = BorrowerFactory(company=company)
    today = timezone.localdate()
    rows = [
        DoNotInteractFactory(borrower=borrower),
        DoNotInteractFactory(
            borrower=borrower,
            case=CaseFactory(borrower=borrower),
            channels=["email", "text"],
            themes=["opsServicing"],
            end_date=today - timedelta(days=2),
        ),
        DoNotInteractFactory(borrower=borrower, end_date=today + timedelta(days=2), deleted_at=T0),
    ]
    return [*rows, *DoNotInteract.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")]


def _template_descriptors(company: Company) -> list[Any]:
    rows = [
        TemplateDescriptorFactory(company=company),
        TemplateDescriptorFactory(
            company=company, channel="text", language="es", name="SMS", enabled=False, external_id="tpl-1"
        ),
    ]
    built_in = list(TemplateDescriptor.objects.filter(company=None).order_by("pk")[:3])
    assert built_in, "the built-in templates are loaded by a data migration"
    return [*rows, *built_in, *TemplateDescriptor.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk")]


def _template_versions(company: Company) -> list[Any]:
    descriptor = TemplateDescriptorFactory(company=company)
    rows = [
        TemplateVersionFactory(descriptor=descriptor),
        TemplateVersionFactory(
            descriptor=descriptor,
            subject_line_template="",
            content_html_template="",
            content_text_template="Hi {{ person.name.firstName }}",
            created_by=ACTOR,
        ),
    ]
    template_version_activate(version=rows[1])
    built_in = list(TemplateVersion.objects.filter(company=None).order_by("pk")[:2])
    return [*rows, *built_in, *TemplateVersion.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk")]


def _subject_descriptors(company: Company) -> list[Any]:
    descriptors = subject_descriptors(company)
    assert descriptors
    return descriptors


SAMPLES: dict[Any, Callable[[Company], list[Any]]] = {
    Interaction: _interactions,
    Borrower: _borrowers,
    Contact: _contacts,
    Loan: _loans,
    Case: _cases,
    Document: _documents,
    Company: _companies,
    ComplianceRule: _compliance_rules,
    ComplianceRuleChange: _compliance_rule_changes,
    DoNotInteract: _do_not_interacts,
    TemplateDescriptor: _template_descriptors,
    TemplateVersion: _template_versions,
    SubjectDescriptorSerializer: _subject_descriptors,
}


def _samples_for(cls: type, company: Company) -> list[Any]:
    meta = getattr(cls, "Meta", None)
    key = getattr(meta, "model", None) or cls
    assert key in SAMPLES, f"add sample objects for {cls.__name__} to SAMPLES"
    return SAMPLES[key](company)


def _contexts(company: Company) -> dict[str, Callable[[], dict[str, Any]]]:
    """Fresh context dicts (serializers cache per-request values in them)."""
    everything = borrower_services.api_key_create(company=company).api_key
    without_sensitive = borrower_services.api_key_create(
        company=company, permissions=["interactions:read", "people:read"]
    ).api_key
    assert everything.has_permission(READ_SENSITIVE)
    assert not without_sensitive.has_permission(READ_SENSITIVE)
    return {
        "none": dict,
        "readSensitive": lambda: {"company": company, "api_key": everything},
        "no readSensitive": lambda: {"company": company, "api_key": without_sensitive},
    }


class _PlainDrf:
    """Plans off: every serializer takes DRF's ``Serializer.to_representation``."""

    def __enter__(self) -> None:
        self.patch = pytest.MonkeyPatch()
        self.patch.setattr(RepresentationPlanMixin, "plan_representation", False)

    def __exit__(self, *exc: object) -> None:
        self.patch.undo()


def _rendered(data: Any) -> bytes:
    return JSONRenderer().render(data)


def _assert_same(fast: Any, plain: Any) -> None:
    assert type(fast) is type(plain)
    assert fast == plain
    assert _rendered(fast) == _rendered(plain)


@pytest.mark.django_db
@pytest.mark.parametrize("time_zone", ["UTC", "America/Chicago"])
@pytest.mark.parametrize("serializer_class", planned_serializers(), ids=lambda cls: cls.__name__)
def test_plan_represents_exactly_as_drf(serializer_class: type, time_zone: str, company: Company) -> None:
    assert not any(
        "plan_representation" in vars(cls)
        for cls in serializer_class.__mro__
        if cls is not RepresentationPlanMixin
    )
    objects = _samples_for(serializer_class, company)
    contexts = _contexts(company)
    with timezone.override(time_zone):
        for name, context in contexts.items():
            for obj in objects:
                fast = serializer_class(obj, context=context()).data
                with _PlainDrf():
                    plain = serializer_class(obj, context=context()).data
                _assert_same(fast, plain)
            fast_list = serializer_class(objects, many=True, context=context()).data
            with _PlainDrf():
                plain_list = serializer_class(objects, many=True, context=context()).data
            _assert_same(fast_list, plain_list)
            assert len(fast_list) == len(objects), name


@pytest.mark.django_db
def test_sensitive_content_follows_the_callers_key(company: Company) -> None:
    interaction = DueInteractionFactory(borrower__company=company, sensitive=True)
    contexts = _contexts(company)
    many = InteractionSerializer([interaction] * 3, many=True, context=contexts["readSensitive"]()).data
    assert [row["content"]["subjectLine"] for row in many] == ["Your payment is due"] * 3
    hidden = InteractionSerializer([interaction] * 3, many=True, context=contexts["no readSensitive"]()).data
    assert [row["content"] for row in hidden] == [None, None, None]
    assert InteractionSerializer(interaction, context=contexts["readSensitive"]()).data["content"] is not None
    assert InteractionSerializer(interaction).data["content"] is None


class _Anything(serializers.Serializer):
    name = serializers.CharField()


class EdgeCaseSerializer(RepresentationPlanMixin, serializers.Serializer):
    """DRF's attribute rules: missing attributes, defaults, dotted sources, callables."""

    plain = serializers.CharField()
    dotted = serializers.CharField(source="inner.name")
    defaulted = serializers.CharField(default="fallback")
    nullable = serializers.CharField(allow_null=True)
    optional = serializers.CharField(required=False)
    called = serializers.IntegerField()
    related = serializers.CharField(source="borrower", allow_null=True)
    whole = _Anything(source="*")
    when = serializers.DateTimeField()
    when_formatted = serializers.DateTimeField(source="when", format="%d/%m/%Y %H:%M %z")
    when_in_tokyo = serializers.DateTimeField(source="when", default_timezone=ZoneInfo("Asia/Tokyo"))
    naive = serializers.DateTimeField(allow_null=True)
    day = serializers.DateField(allow_null=True)
    amount = serializers.DecimalField(max_digits=8, decimal_places=2)
    flag = serializers.BooleanField()
    choice = serializers.ChoiceField(choices=[("a", "A"), ("1", "One")])
    items = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    mapping = serializers.DictField(child=serializers.CharField(allow_null=True))
    secret = serializers.CharField(write_only=True)


EDGE_OBJECTS: list[Any] = [
    SimpleNamespace(
        plain="p",
        inner=SimpleNamespace(name="n"),
        called=lambda: 7,
        borrower=None,
        name="whole",
        when=T0,
        naive=datetime(2026, 3, 8, 2, 30),  # does not exist in America/Chicago
        day=date(2026, 1, 2),
        amount=Decimal("3.456"),
        flag="true",
        choice=1,
        items=[1, None, "2"],
        mapping={"k": 1, 2: None},
        secret="s",
    ),
    SimpleNamespace(
        plain=5,
        inner=SimpleNamespace(name=None),
        defaulted="set",
        nullable="x",
        optional="o",
        called=3,
        borrower="BO-1",
        name="",
        when=T0.astimezone(ZoneInfo("Asia/Kolkata")),
        naive=None,
        day=None,
        amount=1,
        flag="false",
        choice="",
        items=None,
        mapping={},
    ),
    {
        "plain": "from a dict",
        "inner": {"name": "n"},
        "called": 1,
        "borrower": None,
        "name": "n",
        "when": "2026-01-01T00:00:00Z",
        "naive": datetime(2026, 7, 1, 12, 0),
        "day": None,
        "amount": "2.5",
        "flag": True,
        "choice": "a",
        "items": [],
        "mapping": {"a": "b"},
    },
]


@pytest.mark.django_db
@pytest.mark.parametrize("obj", EDGE_OBJECTS, ids=["object", "missing-and-null", "mapping"])
def test_plan_follows_drf_attribute_rules(obj: Any) -> None:
    assert representation_plan(EdgeCaseSerializer) is not None
    fast = EdgeCaseSerializer(obj).data
    with _PlainDrf():
        plain = EdgeCaseSerializer(obj).data
    _assert_same(fast, plain)
    assert "secret" not in fast
    with timezone.override("Asia/Kolkata"):
        fast = EdgeCaseSerializer([obj, obj], many=True).data
        with _PlainDrf():
            plain = EdgeCaseSerializer([obj, obj], many=True).data
    _assert_same(fast, plain)


def test_plan_raises_what_drf_raises_for_a_missing_attribute() -> None:
    obj = SimpleNamespace(plain="p", inner=SimpleNamespace(name="n"))  # no ``called``
    with pytest.raises(AttributeError) as fast:
        EdgeCaseSerializer(obj).data  # noqa: B018
    with _PlainDrf(), pytest.raises(AttributeError) as plain:
        EdgeCaseSerializer(obj).data  # noqa: B018
    assert str(fast.value) == str(plain.value)
    assert "EdgeCaseSerializer" in str(fast.value)


def test_a_missing_related_object_is_null_as_in_drf() -> None:
    class RelatedSerializer(RepresentationPlanMixin, serializers.Serializer):
        borrower = serializers.CharField()

    unsaved = Contact()  # no borrower: reading it raises RelatedObjectDoesNotExist
    assert RelatedSerializer(unsaved).data == {"borrower": None}
    with _PlainDrf():
        assert RelatedSerializer(unsaved).data == {"borrower": None}


def test_serializers_that_are_not_provably_safe_fall_back_to_drf() -> None:
    class ContextFields(RepresentationPlanMixin, serializers.Serializer):
        name = serializers.CharField()

        def get_fields(self) -> dict[str, serializers.Field]:
            fields = super().get_fields()
            if self.context.get("full"):
                fields["extra"] = serializers.CharField()
            return fields

    class Upper(serializers.CharField):
        def to_representation(self, value: Any) -> str:
            return str(value).upper()

    class CustomField(RepresentationPlanMixin, serializers.Serializer):
        name = Upper()

    class CompanyTime(serializers.DateTimeField):
        def enforce_timezone(self, value: datetime) -> datetime:
            return value.astimezone(ZoneInfo(self.context["zone"]))

    class WithCompanyTime(RepresentationPlanMixin, serializers.Serializer):
        when = CompanyTime(format="%H:%M")

    class NestedCustomField(RepresentationPlanMixin, serializers.Serializer):
        inner = CustomField(source="*")

    class WithMethod(serializers.Serializer):
        seen = serializers.SerializerMethodField()

        def get_seen(self, obj: Any) -> Any:
            return self.context.get("seen")

    class NestedMethodField(RepresentationPlanMixin, serializers.Serializer):
        inner = WithMethod(source="*")

    assert representation_plan(ContextFields) is None
    assert representation_plan(CustomField) is None
    assert representation_plan(WithCompanyTime) is None  # the representation reads the context
    assert WithCompanyTime(SimpleNamespace(when=T0), context={"zone": "Asia/Tokyo"}).data == {"when": "16:30"}
    assert representation_plan(NestedCustomField) is None
    assert representation_plan(NestedMethodField) is None  # a nested method reads the context
    obj = SimpleNamespace(name="ada", extra="x")
    assert ContextFields(obj, context={"full": True}).data == {"name": "ada", "extra": "x"}
    assert ContextFields(obj).data == {"name": "ada"}
    assert CustomField(obj).data == {"name": "ADA"}
    assert NestedCustomField(obj).data == {"inner": {"name": "ADA"}}
    assert NestedMethodField(obj, context={"seen": 1}).data == {"inner": {"seen": 1}}


@pytest.mark.django_db
def test_fields_are_built_once_per_class_not_per_object(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    interactions = [DueInteractionFactory(borrower__company=company) for _ in range(3)]
    monkeypatch.setattr(api_representation, "_PLANS", {})
    calls: list[type] = []
    get_fields = CamelModelSerializer.get_fields

    def counting(self: CamelModelSerializer) -> dict[str, serializers.Field]:
        calls.append(type(self))
        return get_fields(self)

    monkeypatch.setattr(CamelModelSerializer, "get_fields", counting)
    context = _contexts(company)["readSensitive"]
    for _ in range(10):
        for interaction in interactions:
            serializer = InteractionSerializer(interaction, context=context())
            assert serializer.data["content"] is not None
            assert "fields" not in vars(serializer)
    listed = InteractionSerializer(interactions * 20, many=True, context=context())
    assert len(listed.data) == 60
    assert "fields" not in vars(listed.child)
    assert calls == [InteractionSerializer]

    # Plain DRF builds them for every serializer: what the plan saves.
    with _PlainDrf():
        for interaction in interactions:
            InteractionSerializer(interaction, context=context()).data  # noqa: B018
    assert calls == [InteractionSerializer] * 4


@pytest.mark.django_db
def test_plans_follow_settings_changes(company: Company) -> None:
    interaction = DueInteractionFactory(borrower__company=company, started_at=T0)
    before = InteractionSerializer(interaction).data
    assert before["startedAt"] == "2026-03-08T07:30:15.123456Z"
    for time_zone, started_at in [
        ("UTC", "2026-03-08T07:30:15.123456Z"),
        ("Asia/Kolkata", "2026-03-08T13:00:15.123456+05:30"),
    ]:
        with (
            override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DATETIME_FORMAT": "iso-8601"}),
            timezone.override(time_zone),
        ):
            fast = InteractionSerializer(interaction).data
            with _PlainDrf():
                _assert_same(fast, InteractionSerializer(interaction).data)
            assert fast["startedAt"] == started_at
    with override_settings(USE_TZ=False):
        fast = InteractionSerializer(interaction).data
        with _PlainDrf():
            _assert_same(fast, InteractionSerializer(interaction).data)
        assert fast["startedAt"] == "2026-03-08T07:30:15.123456Z"
    _assert_same(InteractionSerializer(interaction).data, before)


def test_an_out_of_range_datetime_fails_as_in_drf() -> None:
    obj = SimpleNamespace(**{**vars(EDGE_OBJECTS[0]), "when": datetime(1, 1, 1, tzinfo=UTC)})
    with timezone.override("America/Chicago"):
        with pytest.raises(serializers.ValidationError) as fast:
            EdgeCaseSerializer(obj).data  # noqa: B018
        with _PlainDrf(), pytest.raises(serializers.ValidationError) as plain:
            EdgeCaseSerializer(obj).data  # noqa: B018
    assert fast.value.detail == plain.value.detail


@pytest.mark.django_db
def test_validation_still_uses_the_fields_of_the_instance(company: Company) -> None:
    serializer = CompanySerializer(company, data={"nmae": "typo"}, partial=True)
    assert not serializer.is_valid()
    assert serializer.errors == {"nmae": ["Unknown field."]}
    serializer = CompanySerializer(company, data={"name": "Renamed"}, partial=True)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"name": "Renamed"}
    with _PlainDrf():
        plain = CompanySerializer(company, data={"name": "Renamed"}, partial=True)
        assert plain.is_valid()
    _assert_same(serializer.data, plain.data)


@pytest.mark.django_db
def test_fields_a_caller_changed_are_the_ones_represented(company: Company) -> None:
    serializer = CompanySerializer(company)
    del serializer.fields["helpText"]
    data = serializer.data
    assert "helpText" not in data
    assert data["name"] == company.name
