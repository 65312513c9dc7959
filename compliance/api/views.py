"""Compliance Guard routes: the company's rule rows and their history, ``can-interact``,
and do-not-interact records. Thin: each method validates its input, calls one selector or
service, and answers in the envelope of api.md."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import F, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers.models import Case
from compliance import selectors, services
from compliance.api.serializers import (
    CanInteractInputSerializer,
    ComplianceRuleChangeSerializer,
    ComplianceRuleSerializer,
    DecisionSerializer,
    DoNotInteractSerializer,
    DoNotInteractUpdateSerializer,
)
from compliance.models import FAMILY_ORDER, ComplianceRule, ComplianceRuleChange, DoNotInteract
from peachcomms.api.pagination import CursorPagination, unknown_cursor
from peachcomms.api.schema import enveloped, error_response, list_schema
from peachcomms.api.views import CompanyScopedView
from peachcomms.errors import InvalidInput
from peachcomms.scoping import get_scoped

TAGS = ["compliance"]
MANAGE = "compliance:manage"
WRITES_NEED_MANAGE = {"POST": MANAGE, "PUT": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}


def _boolean_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise InvalidInput(
            f"Invalid parameter '{name}': must be true or false.", errors={name: ["Must be true or false."]}
        )
    return raw == "true"


# Rules


class RulesView(CompanyScopedView):
    queryset = ComplianceRule.objects.all()
    serializer_class = ComplianceRuleSerializer
    permission_scope = "compliance"

    def filter_scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        family = self.request.query_params.get("family")
        if family:
            if family not in FAMILY_ORDER:
                raise InvalidInput(
                    f"Invalid parameter 'family': unknown rule family '{family[:40]}'.",
                    errors={"family": [f"Must be one of: {', '.join(FAMILY_ORDER)}."]},
                )
            queryset = queryset.filter(family=family)
        return queryset

    @list_schema(
        ComplianceRuleSerializer,
        operation_id="compliance_rules_list",
        summary="List the company's Compliance Guard rules",
        description="The company's rule rows (created from the shipped defaults with the company), newest "
        "first. Needs `compliance:read`.",
        tags=TAGS,
        parameters=[
            OpenApiParameter("family", str, enum=FAMILY_ORDER, description="Only rules of this family.")
        ],
    )
    def get(self, request: Request) -> Response:
        return self.respond_list(self.get_queryset())


class RuleView(CompanyScopedView):
    queryset = ComplianceRule.objects.all()
    serializer_class = ComplianceRuleSerializer
    permission_scope = "compliance"
    required_permissions = WRITES_NEED_MANAGE
    lookup_url_kwarg = "ruleId"

    def get_object(self) -> ComplianceRule:
        return selectors.rule_get(self.company, self.kwargs["ruleId"], queryset=self.get_queryset())

    @extend_schema(
        operation_id="compliance_rules_get",
        summary="Get a Compliance Guard rule",
        description="Needs `compliance:read`.",
        tags=TAGS,
        responses={200: enveloped(ComplianceRuleSerializer)},
    )
    def get(self, request: Request, ruleId: str) -> Response:  # noqa: N803
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="compliance_rules_update",
        summary="Change a Compliance Guard rule",
        description="Changes only the fields sent: `name`, `description`, `enabled`, `channels`, `states` "
        "and `parameters`. `parameters` is merged one level deep (each key sent replaces that key; keys "
        "not sent keep their value) and the result must be valid for the rule's family, for example "
        "`timeOfDay` `start`/`end` as `HH:MM` with start before end, `frequency` `caps` a positive "
        "integer for each of light/normal/heavy and `windowDays` 1 to 90. Any problem is a 400 and "
        "nothing is written. Each change is recorded (who, when, the changed fields before and after; "
        "see `/compliance/rules/{ruleId}/changes`); sending the current values records nothing. "
        "Needs `compliance:manage`.",
        tags=TAGS,
        request=ComplianceRuleSerializer,
        responses={200: enveloped(ComplianceRuleSerializer)},
    )
    def put(self, request: Request, ruleId: str) -> Response:  # noqa: N803
        rule = self.get_object()
        data = self.input(instance=rule, partial=True)
        updated = services.rule_update(rule, data, changed_by=request.auth)
        return self.respond(self.output(updated), message="updated")


class RuleChangePagination(CursorPagination):
    """Change rows have no public id: the cursors are their numeric ``id``; the page order
    is ``changed_at`` (annotated as ``created_at``), newest first."""

    @staticmethod
    def _cursor(queryset: QuerySet, view: Any, value: str, param: str) -> tuple[Any, Any]:
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise serializers.ValidationError({param: ["Not a change id (digits)."]})
        row = queryset.filter(pk=int(value)).values_list("created_at", "pk").first()
        if row is None:
            raise unknown_cursor(param, value, "change")
        return row


class RuleChangesView(CompanyScopedView):
    queryset = ComplianceRuleChange.objects.all()
    serializer_class = ComplianceRuleChangeSerializer
    permission_scope = "compliance"
    pagination_class = RuleChangePagination

    def filter_scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        rule = selectors.rule_get(self.company, self.kwargs["ruleId"])
        return queryset.filter(rule_id=rule.pk).annotate(created_at=F("changed_at"))

    @list_schema(
        ComplianceRuleChangeSerializer,
        operation_id="compliance_rules_changes_list",
        summary="List the changes of a Compliance Guard rule",
        description="The rule's audit history, newest first: who changed it (an API key as "
        "`userType: integration`, an admin user as `agent`, the shipped defaults as `system`), when, and "
        "the changed fields before and after. The first row records the creation (`before` null). The "
        "pagination cursors are the numeric change ids. Needs `compliance:read`.",
        tags=TAGS,
    )
    def get(self, request: Request, ruleId: str) -> Response:  # noqa: N803
        return self.respond_list(self.get_queryset())


# Can-interact


class CanInteractView(CompanyScopedView):
    serializer_class = CanInteractInputSerializer
    permission_scope = "compliance"
    required_permissions = {"POST": "compliance:read"}
    borrower_scoped = True

    @extend_schema(
        operation_id="people_can_interact",
        summary="Ask Compliance Guard whether an interaction is allowed",
        description="Evaluates the Compliance Guard rules for an outbound interaction with the borrower on "
        "`channel` (for `subject`/`theme`, to `contactId`, about `loanId`/`loanIds`) at `at`, or now. "
        "Always 200 when a decision was computed, whatever the decision: `result` false names the "
        "refusing rule (`complianceGuardRuleId`, `reason` = its family, `message`) and `sendAt`, the "
        "earliest time every rule allows it (null when waiting will not help); when allowed, `sendAt` is "
        "the evaluated instant. Nothing is recorded. "
        "An unknown channel, subject or theme is a 400; a contact or loan that is not the borrower's is "
        "a 404 naming the field. Needs `compliance:read`.",
        tags=TAGS,
        request=CanInteractInputSerializer,
        responses={200: enveloped(DecisionSerializer)},
    )
    def post(self, request: Request, personId: str) -> Response:  # noqa: N803
        data = self.input()
        self.borrower.company = self.company  # the borrower is this company's: no second read
        guard_request = selectors.guard_request_build(
            borrower=self.borrower,
            channel=data["channel"],
            subject=data.get("subject"),
            theme=data.get("theme"),
            contact_id=data.get("contactId"),
            loan_id=data.get("loanId"),
            loan_ids=data.get("loanIds") or (),
            is_autodialed=data["isAutodialed"],
            check_at_company_noon=data["checkAtCompanyNoon"],
        )
        decision = selectors.decision_for(guard_request, at=data.get("at"))
        message = "Allowed." if decision.result else "Not allowed by Compliance Guard."
        return self.respond(decision.as_dict(), message=message)


# Do-not-interact records


class DoNotInteractsView(CompanyScopedView):
    queryset = DoNotInteract.objects.all()
    serializer_class = DoNotInteractSerializer
    permission_scope = "compliance"
    borrower_scoped = True

    def filter_scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        active = _boolean_param(self.request, "active")
        if active is None:
            return queryset
        applies = selectors.do_not_interact_active_q(selectors.company_today(self.company))
        return queryset.filter(applies) if active else queryset.exclude(applies)

    @list_schema(
        DoNotInteractSerializer,
        operation_id="do_not_interacts_list",
        summary="List a borrower's do-not-interact records",
        description="Every record of the borrower, newest first, including ended and deleted ones (its "
        "history); `active=true` keeps the ones that apply today, `active=false` the others. Needs "
        "`compliance:read`.",
        tags=TAGS,
        parameters=[
            OpenApiParameter("active", bool, description="true: only active records; false: only the others.")
        ],
    )
    def get(self, request: Request, personId: str) -> Response:  # noqa: N803
        return self.respond_list(self.get_queryset())


class CaseScopedMixin:
    """``/people/{personId}/cases/{caseId}/…``: the case must be the borrower's (404)."""

    @cached_property
    def case(self) -> Case:
        return get_scoped(
            Case, self.company.pk, self.kwargs["caseId"], borrower_id=self.borrower.pk, field="caseId"
        )


ITEM_PATH_NOTE = (
    "A record is addressed as `/people/{personId}/cases/{caseId}/do-not-interact/{doNotInteractId}` "
    "(api.md names only `PUT|DELETE` on it; this path keeps the case in it, like the create route)."
)


class CaseDoNotInteractView(CaseScopedMixin, CompanyScopedView):
    queryset = DoNotInteract.objects.all()
    serializer_class = DoNotInteractSerializer
    permission_scope = "compliance"
    required_permissions = WRITES_NEED_MANAGE
    borrower_scoped = True

    @extend_schema(
        operation_id="do_not_interact_create",
        summary="Record a do-not-interact on a case",
        description="Blocks outbound interactions with the borrower on `channels` for `themes` (each a "
        'list of known values, or `["all"]`; `all` themes never cover `opsAccountCredentials`) through the '
        "end of `endDate` in the company time zone (any date: `can-interact` may evaluate past or future "
        "instants; `active` says whether it applies now), or until deleted when it has none. "
        "Several records may exist on one case. " + ITEM_PATH_NOTE + " Needs `compliance:manage`.",
        tags=TAGS,
        request=DoNotInteractSerializer,
        responses={200: enveloped(DoNotInteractSerializer)},
    )
    def post(self, request: Request, personId: str, caseId: str) -> Response:  # noqa: N803
        case = self.case
        record = services.do_not_interact_create(borrower=self.borrower, case=case, data=self.input())
        return self.respond(self.output(record), message="created")


class CaseDoNotInteractItemView(CaseScopedMixin, CompanyScopedView):
    queryset = DoNotInteract.objects.all()
    serializer_class = DoNotInteractSerializer
    permission_scope = "compliance"
    required_permissions = WRITES_NEED_MANAGE
    borrower_scoped = True
    lookup_url_kwarg = "doNotInteractId"

    def filter_scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(case_id=self.case.pk)

    def get_object(self) -> DoNotInteract:
        return selectors.do_not_interact_get(
            self.get_queryset(), self.company, self.kwargs["doNotInteractId"]
        )

    @extend_schema(
        operation_id="do_not_interact_get",
        summary="Get a do-not-interact record",
        description=ITEM_PATH_NOTE + " Needs `compliance:read`.",
        tags=TAGS,
        responses={200: enveloped(DoNotInteractSerializer)},
    )
    def get(self, request: Request, personId: str, caseId: str, doNotInteractId: str) -> Response:  # noqa: N803
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="do_not_interact_update",
        summary="Change a do-not-interact record",
        description="Changes only the fields sent (`channels`, `themes`, `endDate`; `endDate: null` removes "
        "the end). A deleted record cannot change (409): create a new one. " + ITEM_PATH_NOTE + " Needs "
        "`compliance:manage`.",
        tags=TAGS,
        request=DoNotInteractUpdateSerializer,
        responses={200: enveloped(DoNotInteractSerializer), 409: error_response(409)},
    )
    def put(self, request: Request, personId: str, caseId: str, doNotInteractId: str) -> Response:  # noqa: N803
        record = self.get_object()
        data = self.input(DoNotInteractUpdateSerializer, instance=record, partial=True)
        record = services.do_not_interact_update(do_not_interact=record, data=data)
        return self.respond(self.output(record), message="updated")

    @extend_schema(
        operation_id="do_not_interact_delete",
        summary="Delete a do-not-interact record",
        description="A soft delete: the record stops applying now, keeps its `deletedAt` and stays in the "
        "borrower's list (`active: false`). Deleting it again answers the same record. "
        + ITEM_PATH_NOTE
        + " Needs `compliance:manage`.",
        tags=TAGS,
        responses={200: enveloped(DoNotInteractSerializer)},
    )
    def delete(self, request: Request, personId: str, caseId: str, doNotInteractId: str) -> Response:  # noqa: N803
        record = services.do_not_interact_delete(do_not_interact=self.get_object())
        return self.respond(self.output(record), message="deleted")
