from __future__ import annotations

import factory

from borrowers.models import Borrower, Case, Company, Contact, Document, Loan
from interactions.models import Interaction


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = "Peach Lending"
    brand_name = "Peach"
    timezone = "America/New_York"


class BorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borrower

    company = factory.SubFactory(CompanyFactory)
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Lovelace{n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    borrower = factory.SubFactory(BorrowerFactory)
    company = factory.SelfAttribute("borrower.company")
    contact_type = Contact.ContactType.EMAIL
    value = factory.Sequence(lambda n: f"ada{n}@example.com")


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    borrower = factory.SubFactory(BorrowerFactory)
    company = factory.SelfAttribute("borrower.company")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    borrower = factory.SubFactory(BorrowerFactory)
    company = factory.SelfAttribute("borrower.company")
    case_type = Case.CaseType.GENERIC


class InteractionFactory(factory.django.DjangoModelFactory):
    """An outbound email about a payment reminder, scheduled (as the send pipeline creates it)."""

    class Meta:
        model = Interaction

    borrower = factory.SubFactory(BorrowerFactory)
    company = factory.SelfAttribute("borrower.company")
    channel = "email"
    direction = Interaction.Direction.OUTBOUND
    subject = "paymentDueReminder"
    theme = "opsServicing"
    status = Interaction.Status.SCHEDULED


class DocumentFactory(factory.django.DjangoModelFactory):
    """A descriptor without content (``status: pending``)."""

    class Meta:
        model = Document

    borrower = factory.SubFactory(BorrowerFactory)
    company = factory.SelfAttribute("borrower.company")
    type = "statement"
    file_name = factory.Sequence(lambda n: f"statement-{n}.pdf")
    content_type = "application/pdf"


class DoNotInteractFactory(factory.django.DjangoModelFactory):
    """A do-not-interact record on every channel and theme, without an end date."""

    class Meta:
        model = "compliance.DoNotInteract"

    borrower = factory.SubFactory(BorrowerFactory)
    company = factory.SelfAttribute("borrower.company")
    channels = factory.LazyFunction(lambda: ["all"])
    themes = factory.LazyFunction(lambda: ["all"])


class TemplateDescriptorFactory(factory.django.DjangoModelFactory):
    """A company's template slot (``company=None`` for a built-in one)."""

    class Meta:
        model = "templating.TemplateDescriptor"

    company = factory.SubFactory(CompanyFactory)
    subject = "paymentDueReminder"
    channel = "email"
    language = "en"


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    """A draft; activate it with ``templating.services.template_version_activate``."""

    class Meta:
        model = "templating.TemplateVersion"

    descriptor = factory.SubFactory(TemplateDescriptorFactory)
    company = factory.SelfAttribute("descriptor.company")
    status = "draft"
    subject_line_template = "Hello {{ person.name.firstName }}"
    content_html_template = "<p>Hello {{ person.name.firstName }}</p>"
    content_text_template = "Hello {{ person.name.firstName }}"


def _now():  # noqa: ANN202
    from django.utils import timezone

    return timezone.now()


class DueInteractionFactory(InteractionFactory):
    """A due outbound email as the send service stores it: a recipient contact, content
    frozen at send time, ``send_at`` now (``compliance_checked`` by default)."""

    contact = factory.SubFactory(ContactFactory, borrower=factory.SelfAttribute("..borrower"))
    send_at = factory.LazyFunction(_now)
    content = factory.LazyAttribute(
        lambda o: {
            "subjectLine": "Your payment is due",
            "contentText": "Hello Ada, your payment of $120.00 is due on 1 December.",
            "contentHtml": "<p>Hello Ada, your payment of $120.00 is due on 1 December.</p>",
            "to": o.contact.value,
            "from": "billing@peach.example",
            "attachments": [],
            "providerMessageId": None,
        }
    )
