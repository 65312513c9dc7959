import pytest

from borrowers.models import Company

pytestmark = pytest.mark.django_db

TS = "%Y-%m-%dT%H:%M:%S.%fZ"


def company_url(company) -> str:  # noqa: ANN001
    return f"/api/companies/{getattr(company, 'pk', company)}"


def test_get_own_company(api, company):
    response = api.get(company_url(company))
    assert response.status_code == 200
    company.refresh_from_db()
    assert response.json() == {
        "status": 200,
        "message": "OK",
        "data": {
            "id": company.pk,
            "object": "company",
            "name": "Peach Lending",
            "brandName": "Peach",
            "legalName": "",
            "domainName": "",
            "timezone": "America/New_York",
            "supportPhone": "",
            "supportEmail": "",
            "helpText": "",
            "mailingAddress": {},
            "createdAt": company.created_at.strftime(TS),
            "updatedAt": company.updated_at.strftime(TS),
        },
    }


def test_update_normalises_contact_details(api, company):
    response = api.put(
        company_url(company),
        {
            "legalName": "Peach Lending LLC",
            "domainName": "Peach.Example.COM",
            "timezone": "America/Chicago",
            "supportPhone": "(415) 555-0100",
            "supportEmail": "Help@Peach.EXAMPLE.com",
            "helpText": "Peach Lending: call (415) 555-0100. Reply STOP to opt out.",
            "mailingAddress": {
                "addressLine1": "1 Market St",
                "city": "San Francisco",
                "state": "ca",
                "postalCode": "94105",
            },
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "updated"
    data = response.json()["data"]
    assert (data["name"], data["legalName"], data["domainName"], data["timezone"]) == (
        "Peach Lending",
        "Peach Lending LLC",
        "peach.example.com",
        "America/Chicago",
    )
    assert (data["supportPhone"], data["supportEmail"]) == ("+14155550100", "Help@peach.example.com")
    assert data["mailingAddress"] == {
        "addressLine1": "1 Market St",
        "addressLine2": "",
        "city": "San Francisco",
        "state": "CA",
        "postalCode": "94105",
        "country": "US",
    }
    company.refresh_from_db()
    assert (company.support_phone, company.mailing_address["state"]) == ("+14155550100", "CA")

    merged = api.put(company_url(company), {"mailingAddress": {"addressLine2": "Floor 3"}}, format="json")
    assert merged.json()["data"]["mailingAddress"]["addressLine1"] == "1 Market St"
    assert merged.json()["data"]["mailingAddress"]["addressLine2"] == "Floor 3"
    cleared = api.put(company_url(company), {"mailingAddress": None, "supportPhone": ""}, format="json")
    assert (cleared.json()["data"]["mailingAddress"], cleared.json()["data"]["supportPhone"]) == ({}, "")


@pytest.mark.parametrize(
    "body, field, problem",
    [
        ({"name": ""}, "name", "This field may not be blank."),
        ({"name": "x" * 201}, "name", "Ensure this field has no more than 200 characters."),
        ({"timezone": "Mars/Olympus"}, "timezone", "'Mars/Olympus' is not an IANA time zone."),
        ({"supportPhone": "12345"}, "supportPhone", "'12345' is not a valid phone number."),
        ({"supportEmail": "help@"}, "supportEmail", "'help@' is not a valid email address."),
        ({"domainName": "not a domain"}, "domainName", "'not a domain' is not a valid domain name."),
        ({"helpText": "x" * 321}, "helpText", "Ensure this field has no more than 320 characters."),
        (
            {"mailingAddress": {"addressLine1": "1 Main St", "state": "XX"}},
            "mailingAddress.state",
            "'XX' is not a 2-letter USPS state code (for example CA).",
        ),
        (
            {"mailingAddress": {"city": "Boston"}},
            "mailingAddress.addressLine1",
            "Required for a postal address.",
        ),
        ({"mailingAddress": {"street": "1 Main St"}}, "mailingAddress.street", "Unknown field."),
        (
            {"mailingAddress": ["1 Main St"]},
            "mailingAddress",
            "Invalid data. Expected a dictionary, but got list.",
        ),
        ({"apiKeys": []}, "apiKeys", "Unknown field."),
    ],
)
def test_bad_input_is_400_and_changes_nothing(api, company, body, field, problem):
    company.refresh_from_db()
    before = Company.objects.filter(pk=company.pk).values().get()
    response = api.put(company_url(company), body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {field: [problem]}
    assert response.json()["message"] == f"Invalid field '{field}': {problem}"
    assert Company.objects.filter(pk=company.pk).values().get() == before


def test_a_read_company_can_be_sent_back(api, company):
    read = api.get(company_url(company)).json()["data"]
    response = api.put(company_url(company), {**read, "id": "CP-AAAA-AAAA"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["id"] == company.pk


def test_malformed_json_is_400(api, company):
    response = api.put(company_url(company), '{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Malformed JSON")


@pytest.mark.parametrize("method", ["get", "put"])
def test_any_other_company_id_is_404(api, company, other_company, method):
    for target in (other_company.pk, "CP-0000-0000", "ext-anything", "not-an-id"):
        response = getattr(api, method)(company_url(target), {"name": "Hijacked"}, format="json")
        assert response.status_code == 404, target
        assert response.json() == {"status": 404, "message": f"No company '{target}'."}
    other_company.refresh_from_db()
    company.refresh_from_db()
    assert (other_company.name, company.name) == ("Other Lender", "Peach Lending")


def test_company_permission_scope(company, client_with):
    people_only = client_with(company, ["people:read", "people:write"])
    assert people_only.get(company_url(company)).status_code == 403
    reader = client_with(company, ["company:read"])
    assert reader.get(company_url(company)).status_code == 200
    response = reader.put(company_url(company), {"name": "Renamed"}, format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "This API key lacks the 'company:write' permission."
    company.refresh_from_db()
    assert company.name == "Peach Lending"
    writer = client_with(company, ["company:write"])
    assert writer.put(company_url(company), {"name": "Renamed"}, format="json").status_code == 200
