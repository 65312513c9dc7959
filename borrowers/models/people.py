"""Borrowers and the records messages are about: contacts, loans, cases, documents."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from borrowers.models.base import CompanyOwned, ExternalIdMixin
from peachcomms.api.ids import PublicIdField


def _external_id_unique(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["company", "external_id"], condition=Q(external_id__isnull=False), name=name
    )


def _list_index(name: str, *fields: str) -> models.Index:
    """Newest-first listing within a company (cursor pagination on created_at, id)."""
    return models.Index(fields=[*fields, "-created_at", "-id"], name=name)


class Borrower(CompanyOwned, ExternalIdMixin):
    class BorrowerType(models.TextChoices):
        PERSON = "person"
        BUSINESS = "business"

    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    class CollectionsIntensity(models.TextChoices):
        LIGHT = "light"
        NORMAL = "normal"
        HEAVY = "heavy"

    id = PublicIdField("BO")
    borrower_type = models.CharField(max_length=16, choices=BorrowerType, default=BorrowerType.PERSON)
    status = models.CharField(max_length=16, choices=Status, default=Status.ACTIVE)
    collections_intensity = models.CharField(
        max_length=16, choices=CollectionsIntensity, default=CollectionsIntensity.NORMAL
    )
    first_name = models.CharField(max_length=100, blank=True, default="")
    middle_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    preferred_first_name = models.CharField(max_length=100, blank=True, default="")
    business_name = models.CharField(max_length=200, blank=True, default="")
    timezone = models.CharField(max_length=64, blank=True, default="")
    display_id = models.CharField(max_length=100, blank=True, default="")
    statement_delivery_channels = models.JSONField(default=list, blank=True)
    send_reminders_when_current = models.BooleanField(default=True)
    meta_data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_external_id_unique("borrower_external_id_unique")]
        indexes = [_list_index("borrower_company_list", "company")]

    def __str__(self) -> str:
        return f"{self.full_name or self.id}"

    @property
    def full_name(self) -> str:
        if self.borrower_type == self.BorrowerType.BUSINESS and self.business_name:
            return self.business_name
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class Contact(CompanyOwned, ExternalIdMixin):
    class ContactType(models.TextChoices):
        EMAIL = "email"
        PHONE = "phone"
        ADDRESS = "address"

    class Label(models.TextChoices):
        PERSONAL = "personal"
        WORK = "work"
        HOME = "home"
        MOBILE = "mobile"
        MILITARY = "military"
        OTHER = "other"

    class Affiliation(models.TextChoices):
        SELF = "self"
        CO_BORROWER = "coBorrower"
        SPOUSE = "spouse"
        ATTORNEY = "attorney"
        POWER_OF_ATTORNEY = "powerOfAttorney"
        EXECUTOR = "executor"
        AUTHORIZED_THIRD_PARTY = "authorizedThirdParty"
        EMPLOYER = "employer"
        OTHER = "other"

    class Status(models.TextChoices):
        PRIMARY = "primary"
        SECONDARY = "secondary"
        ADDITIONAL = "additional"
        ARCHIVED = "archived"

    id = PublicIdField("CT")
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="contacts")
    contact_type = models.CharField(max_length=16, choices=ContactType)
    label = models.CharField(max_length=16, choices=Label, default=Label.PERSONAL)
    affiliation = models.CharField(max_length=32, choices=Affiliation, default=Affiliation.SELF)
    value = models.CharField(max_length=254, blank=True, default="", help_text="Email, or phone in E.164.")
    address_line1 = models.CharField(max_length=200, blank=True, default="")
    address_line2 = models.CharField(max_length=200, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=50, blank=True, default="")
    postal_code = models.CharField(max_length=20, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status, default=Status.PRIMARY)
    valid = models.BooleanField(default=True)
    verified = models.BooleanField(default=False)
    receive_text_messages = models.BooleanField(default=False)
    receive_text_messages_last_consent_at = models.DateTimeField(null=True, blank=True)
    consent_autodialed_call = models.BooleanField(default=False)
    authorized_third_party = models.BooleanField(default=False)
    power_of_attorney = models.BooleanField(default=False)
    phone_disconnection_details = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_external_id_unique("contact_external_id_unique")]
        indexes = [
            _list_index("contact_borrower_list", "borrower"),
            # Inbound matching: which borrowers of a company own this phone or email?
            models.Index(fields=["company", "value"], name="contact_company_value"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_type}: {self.value or self.address_line1}"


class Loan(CompanyOwned, ExternalIdMixin):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        PAID_OFF = "paidOff"
        CHARGED_OFF = "chargedOff"
        CANCELED = "canceled"
        ACCELERATED = "accelerated"

    id = PublicIdField("LN")
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="loans")
    display_id = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status, default=Status.ACTIVE)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    days_past_due = models.PositiveIntegerField(default=0)
    product_name = models.CharField(max_length=200, blank=True, default="")
    meta_data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_external_id_unique("loan_external_id_unique")]
        indexes = [_list_index("loan_borrower_list", "borrower")]

    def __str__(self) -> str:
        return self.display_id or self.id


class Case(CompanyOwned, ExternalIdMixin):
    class CaseType(models.TextChoices):
        GENERIC = "generic"
        BANKRUPTCY = "bankruptcy"
        CEASE_COMMUNICATION = "ceaseCommunication"
        COLLECTION = "collection"
        DECEASED = "deceased"
        DISPUTE_OF_DEBT = "disputeOfDebt"
        FEDERAL_EMERGENCY = "federalEmergency"
        IDENTITY_THEFT = "identityTheft"
        LEGAL_ACTION = "legalAction"
        MILITARY_DUTY = "militaryDuty"
        DEBT_VALIDATION = "debtValidation"

    class Status(models.TextChoices):
        INITIATED = "initiated"
        PROCESSING = "processing"
        COMPLETED = "completed"
        CANCELED = "canceled"

    OPEN_STATUSES = (Status.INITIATED, Status.PROCESSING)

    id = PublicIdField("CS")
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="cases")
    case_type = models.CharField(max_length=32, choices=CaseType)
    status = models.CharField(max_length=16, choices=Status, default=Status.INITIATED)
    outcome = models.CharField(max_length=200, blank=True, default="")
    loan_ids = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    meta_data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_external_id_unique("case_external_id_unique")]
        indexes = [
            _list_index("case_borrower_list", "borrower"),
            # Compliance Guard: the open cases of a borrower.
            models.Index(fields=["borrower", "status"], name="case_borrower_status"),
        ]

    def __str__(self) -> str:
        return f"{self.case_type} {self.id}"


def document_upload_to(document: Document, filename: str) -> str:
    return f"documents/{document.company_id}/{document.id}/{filename}"


class Document(CompanyOwned, ExternalIdMixin):
    class Status(models.TextChoices):
        PENDING = "pending"
        UPLOADED = "uploaded"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    id = PublicIdField("DD")
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="documents")
    type = models.CharField(max_length=64, blank=True, default="other")
    file_name = models.CharField(max_length=255, blank=True, default="")
    content_type = models.CharField(max_length=127, blank=True, default="")
    content_length = models.PositiveBigIntegerField(default=0)
    description = models.CharField(max_length=500, blank=True, default="")
    loan = models.ForeignKey(Loan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    template_version_id = models.CharField(max_length=14, blank=True, default="")
    autogenerated = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    content = models.FileField(upload_to=document_upload_to, blank=True, max_length=500)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [_external_id_unique("document_external_id_unique")]
        indexes = [_list_index("document_borrower_list", "borrower")]

    def __str__(self) -> str:
        return self.file_name or self.id
