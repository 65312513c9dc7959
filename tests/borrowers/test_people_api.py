import pytest

from borrowers.models import Borrower

pytestmark = pytest.mark.django_db


def test_create_get_update_borrower(api):
    created = api.post(
        "/api/people",
        {"externalId": "B-1", "name": {"firstName": "Ada", "lastName": "Lovelace"}, "metaData": {"a": 1}},
        format="json",
    )
    assert created.status_code == 200, created.json()
    body = created.json()
    assert body["status"] == 200
    person = body["data"]
    assert person["name"]["firstName"] == "Ada"
    assert person["object"] == "person"
    assert person["companyId"] == api.company.pk

    fetched = api.get(f"/api/people/{person['id']}").json()["data"]
    assert fetched == person
    by_ext = api.get("/api/people/ext-B-1").json()["data"]
    assert by_ext["id"] == person["id"]

    updated = api.put(f"/api/people/{person['id']}", {"name": {"preferredFirstName": "Addie"}}, format="json")
    assert updated.status_code == 200
    assert updated.json()["data"]["name"] == {
        "firstName": "Ada",
        "middleName": "",
        "lastName": "Lovelace",
        "preferredFirstName": "Addie",
    }


def test_duplicate_external_id_is_409(api):
    assert api.post("/api/people", {"externalId": "dup"}, format="json").status_code == 200
    response = api.post("/api/people", {"externalId": "dup"}, format="json")
    assert response.status_code == 409
    assert "dup" in response.json()["message"]
    assert Borrower.objects.count() == 1


def test_other_company_borrower_is_404(api, other_api):
    person = other_api.post("/api/people", {}, format="json").json()["data"]
    response = api.get(f"/api/people/{person['id']}")
    assert response.status_code == 404
    assert response.json()["status"] == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "zombie"}, "status"),
        ({"name": "Ada"}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"metaData": {f"k{i}": i for i in range(51)}}, "metaData"),
        ({"externalId": "x" * 256}, "externalId"),
        ({"sendat": "2026-01-01"}, "sendat"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, body, field):
    response = api.post("/api/people", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert response.json()["message"]
    assert Borrower.objects.count() == 0


def test_malformed_json_is_400(api):
    response = api.post("/api/people", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Malformed JSON")


def test_missing_and_bad_keys_are_401(client):
    assert client.get("/api/people").status_code == 401
    response = client.get("/api/people", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response.json()["message"] == "The API key is not valid."


def test_bearer_auth_and_permissions(company, client_with):
    reader = client_with(company, ["people:read"])
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {reader.raw_key}")
    assert reader.get("/api/people").status_code == 200
    response = reader.post("/api/people", {}, format="json")
    assert response.status_code == 403
    assert "people:write" in response.json()["message"]


def test_pagination_walks_both_ways(api):
    ids = [api.post("/api/people", {}, format="json").json()["data"]["id"] for _ in range(5)]
    newest_first = list(reversed(ids))
    page1 = api.get("/api/people?limit=2").json()
    assert [p["id"] for p in page1["data"]] == newest_first[:2]
    assert page1["count"] == 2 and page1["previousUrl"] is None
    page2 = api.get(page1["nextUrl"]).json()
    assert [p["id"] for p in page2["data"]] == newest_first[2:4]
    page3 = api.get(page2["nextUrl"]).json()
    assert [p["id"] for p in page3["data"]] == newest_first[4:]
    assert page3["nextUrl"] is None
    back = api.get(page3["previousUrl"]).json()
    assert [p["id"] for p in back["data"]] == newest_first[2:4]
    assert api.get("/api/people?limit=0").status_code == 400
    assert api.get("/api/people?limit=101").status_code == 400
    # A well-formed id naming no borrower is an unknown referenced object (404); a malformed one a 400.
    unknown = api.get("/api/people?startingAfter=BO-XXXX-XXXX")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "status": 404,
        "message": "startingAfter: no object with id 'BO-XXXX-XXXX' to page from.",
    }
    malformed = api.get("/api/people?endingBefore=BO-XXXX")
    assert malformed.status_code == 400
    assert malformed.json()["errors"] == {"endingBefore": ["Not an object id (XX-XXXX-XXXX)."]}
