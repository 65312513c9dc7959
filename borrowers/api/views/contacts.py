from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers import services
from borrowers.api.serializers import ContactSerializer
from borrowers.api.views._common import CONTACT_ID, PERSON_ID, BorrowerRecordView
from borrowers.models import Contact
from peachcomms.api.schema import enveloped, error_response, list_schema
from peachcomms.choices import invalid_choice

CONTACT_VALIDATION = (
    "`contactType` decides what the contact holds: `email` and `phone` need `value` (an email "
    "address is stored with a lower-cased domain; a phone number is read with default region "
    "US and stored in E.164, extensions refused), `address` needs the `address` object with at "
    "least `addressLine1` (a US address needs a USPS `state` code and a 5- or 9-digit "
    "`postalCode`; `country` defaults to US). `receiveTextMessages` and `consentAutodialedCall` "
    "only apply to phones; turning `receiveTextMessages` on records "
    "`receiveTextMessagesLastConsentAt` (read-only). `verified` is read-only (set by the "
    "confirmation-code flow)."
)
LIST_FILTERS = [
    OpenApiParameter("contactType", str, enum=Contact.ContactType.values, description="Only this type."),
    OpenApiParameter("status", str, enum=Contact.Status.values, description="Only this status."),
]


class ContactsView(BorrowerRecordView):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer

    def filter_scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.request.method != "GET":
            return queryset
        filters = {"contactType": ("contact_type", Contact.ContactType), "status": ("status", Contact.Status)}
        for param, (field, choices) in filters.items():
            value = self.request.query_params.get(param)
            if value is None:
                continue
            if value not in choices.values:
                raise ValidationError({param: [invalid_choice(value, choices.values)]})
            queryset = queryset.filter(**{field: value})
        return queryset

    @list_schema(
        ContactSerializer,
        operation_id="contacts_list",
        summary="List a borrower's contacts",
        description="Newest first; archived contacts are included (filter with `status`).",
        tags=["contacts"],
        parameters=[PERSON_ID, *LIST_FILTERS],
    )
    def get(self, request: Request, personId: str) -> Response:
        return self.respond_list(self.get_queryset())

    @extend_schema(
        operation_id="contacts_create",
        summary="Add a contact to a borrower",
        description=CONTACT_VALIDATION,
        tags=["contacts"],
        parameters=[PERSON_ID],
        responses={200: enveloped(ContactSerializer), 409: error_response(409)},
    )
    def post(self, request: Request, personId: str) -> Response:
        contact = services.contact_create(borrower=self.borrower, data=self.input())
        return self.respond(self.output(contact), message="created")


class ContactView(BorrowerRecordView):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    lookup_url_kwarg = "contactId"

    @extend_schema(
        operation_id="contacts_get",
        summary="Get a contact",
        tags=["contacts"],
        parameters=[PERSON_ID, CONTACT_ID],
        responses=enveloped(ContactSerializer),
    )
    def get(self, request: Request, personId: str, contactId: str) -> Response:
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="contacts_update",
        summary="Update a contact (only the fields sent)",
        description=(
            f"{CONTACT_VALIDATION} Changing `contactType` needs a `value` (or `address`) that fits "
            "the new type in the same request; what belonged to the old type (value, address, "
            "phone consents, verification) is cleared. A changed value is no longer `verified`."
        ),
        tags=["contacts"],
        parameters=[PERSON_ID, CONTACT_ID],
        responses={200: enveloped(ContactSerializer), 409: error_response(409)},
    )
    def put(self, request: Request, personId: str, contactId: str) -> Response:
        contact = self.get_object()
        data = self.input(instance=contact, partial=True)
        return self.respond(
            self.output(services.contact_update(contact=contact, data=data)), message="updated"
        )

    @extend_schema(
        operation_id="contacts_archive",
        summary="Archive a contact",
        description=(
            "Contacts are not destroyed: DELETE sets `status` to `archived` and returns the "
            "contact. An archived contact is never chosen for a send, but stays readable and "
            "linked to the interactions that used it. Archiving an archived contact is a no-op; "
            "PUT another `status` to restore it."
        ),
        tags=["contacts"],
        parameters=[PERSON_ID, CONTACT_ID],
        responses={200: enveloped(ContactSerializer)},
    )
    def delete(self, request: Request, personId: str, contactId: str) -> Response:
        contact = services.contact_archive(contact=self.get_object())
        return self.respond(self.output(contact), message="archived")
