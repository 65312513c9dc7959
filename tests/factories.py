from __future__ import annotations

import factory

from borrowers.models import Borrower, Company, Contact


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
