"""The shared API plumbing: authentication, error format, input hygiene."""

from datetime import timedelta

import pytest
from django.utils import timezone

from borrowers.models import ApiKey, Borrower

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"metaData": {"a": "x\\u0000y"}}', "metaData.a"),
        ('{"name": {"firstName": "x\\u0000y"}}', "name.firstName"),
        ('{"metaData": {"k\\u0000": 1}}', "metaData.k\\u0000"),
    ],
)
def test_nul_characters_in_bodies_are_400(api, body, field):
    response = api.post("/api/people", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Borrower.objects.count() == 0


def test_nul_characters_in_query_and_path_are_4xx(api):
    assert api.get("/api/interactions?subject=a%00b").status_code == 400
    assert api.get("/api/people/ext-a%00b").status_code == 404


def test_x_api_key_wins_over_bearer(api):
    response = api.get("/api/people", HTTP_AUTHORIZATION="Bearer not-a-key")
    assert response.status_code == 200


def test_revoked_key_is_401(api):
    ApiKey.objects.filter(pk=api.api_key.pk).update(revoked_at=timezone.now())
    response = api.get("/api/people")
    assert response.status_code == 401
    assert response["WWW-Authenticate"]


def test_key_stored_as_sha256_only(api):
    key = ApiKey.objects.get(pk=api.api_key.pk)
    assert key.key_hash == ApiKey.hash_key(api.raw_key)
    assert api.raw_key not in str(ApiKey.objects.filter(pk=key.pk).values().first())


def test_last_used_at_written_at_most_every_five_minutes(api, django_assert_num_queries):
    api.get("/api/people")
    first = ApiKey.objects.get(pk=api.api_key.pk).last_used_at
    assert first is not None
    api.get("/api/people")
    assert ApiKey.objects.get(pk=api.api_key.pk).last_used_at == first
    ApiKey.objects.filter(pk=api.api_key.pk).update(last_used_at=first - timedelta(minutes=6))
    api.get("/api/people")
    assert ApiKey.objects.get(pk=api.api_key.pk).last_used_at > first


def test_wrong_method_is_json_405(api):
    response = api.delete("/api/people")
    assert response.status_code == 405
    assert response.json() == {"status": 405, "message": "Method DELETE is not allowed on this path."}


def test_non_json_body_is_415(api):
    response = api.post("/api/people", "a=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["status"] == 415


def test_body_that_is_not_an_object_is_400(api):
    response = api.post("/api/people", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"]
    assert Borrower.objects.count() == 0


def test_ext_id_on_a_type_without_lender_ids_is_404(api):
    response = api.get("/api/compliance/rules/ext-anything")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_malformed_ids_are_404_not_500(api):
    paths = ["/api/people/BO-xxxx", "/api/people/ext-", "/api/interactions/%20", "/api/people/" + "A" * 300]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 404, path


def test_datetimes_are_fixed_width_iso_8601_even_for_early_years(api):
    person = api.post("/api/people", {}, format="json").json()["data"]
    response = api.post(
        f"/api/people/{person['id']}/cases",
        {"caseType": "disputeOfDebt", "startedAt": "0001-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["startedAt"] == "0001-01-01T00:00:00.000000Z"
