from datetime import UTC, datetime

import pytest

from interactions.models import Interaction
from tests.factories import ContactFactory, InteractionFactory, LoanFactory

pytestmark = pytest.mark.django_db

EARLIER = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def make(borrower):  # noqa: ANN001, ANN201
    def build(**fields):  # noqa: ANN003, ANN202
        fields.setdefault("status_updated_at", EARLIER)
        return InteractionFactory(borrower=borrower, **fields)

    return build


@pytest.fixture
def put(api, borrower):  # noqa: ANN001, ANN201
    def send(interaction, body, client=None):  # noqa: ANN001, ANN202
        url = f"/api/people/{borrower.pk}/interactions/{interaction.pk}"
        return (client or api).put(url, body, format="json")

    return send


ALLOWED = [
    ("scheduled", "inProgress"),
    ("scheduled", "attempted"),
    ("scheduled", "succeeded"),
    ("scheduled", "failed"),
    ("scheduled", "canceled"),
    ("inProgress", "attempted"),
    ("inProgress", "succeeded"),
    ("inProgress", "failed"),
    ("attempted", "succeeded"),
    ("attempted", "failed"),
]
REFUSED = [
    (
        "inProgress",
        "scheduled",
        "Status can only move forward: from 'inProgress' it may change to "
        "'attempted', 'succeeded', 'failed', not 'scheduled'.",
    ),
    ("inProgress", "canceled", None),
    ("attempted", "inProgress", None),
    ("attempted", "scheduled", None),
    ("attempted", "canceled", None),
    (
        "succeeded",
        "scheduled",
        "The interaction has finished (status 'succeeded'); its status cannot change to 'scheduled'.",
    ),
    ("succeeded", "failed", None),
    ("failed", "scheduled", None),
    ("failed", "succeeded", None),
    ("canceled", "scheduled", None),
    ("canceled", "inProgress", None),
]


@pytest.mark.parametrize("old, new", ALLOWED)
def test_status_moves_forward(make, put, old, new):
    interaction = make(status=old)
    response = put(interaction, {"status": new})
    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "updated"
    assert response.json()["data"]["status"] == new
    interaction.refresh_from_db()
    assert interaction.status == new
    assert interaction.status_updated_at > EARLIER


@pytest.mark.parametrize("old, new, message", REFUSED)
def test_status_never_moves_back(make, put, old, new, message):
    interaction = make(status=old)
    response = put(interaction, {"status": new})
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["status"]
    assert f"'{old}'" in body["message"] and f"'{new}'" in body["message"]
    if message:
        assert body["message"] == message
    interaction.refresh_from_db()
    assert (interaction.status, interaction.status_updated_at) == (old, EARLIER)


def test_same_status_is_a_no_op(make, put):
    interaction = make(status="succeeded")
    response = put(interaction, {"status": "succeeded"})
    assert response.status_code == 200
    interaction.refresh_from_db()
    assert interaction.status_updated_at == EARLIER


@pytest.mark.parametrize(
    "channel, direction, status, details, code, outcome",
    [
        ("email", "outbound", "scheduled", "emailDelivered", 200, "succeeded"),
        ("email", "outbound", "scheduled", "voiceNoAnswer", 400, "statusDetails"),
        ("text", "outbound", "attempted", "textDelivered", 200, "succeeded"),
        ("text", "inbound", "scheduled", "textDelivered", 400, "statusDetails"),
        ("voice", "inbound", "scheduled", "voiceMissedCall", 200, "failed"),
        ("voice", "outbound", "scheduled", "voiceMissedCall", 400, "statusDetails"),
        ("email", "outbound", "succeeded", "emailOpened", 200, "succeeded"),
        ("email", "outbound", "succeeded", "emailSent", 400, "statusDetails"),
        ("email", "outbound", "succeeded", "emailBounced", 400, "statusDetails"),
    ],
)
def test_status_details_fit_and_imply_on_update(
    make, put, channel, direction, status, details, code, outcome
):
    interaction = make(channel=channel, direction=direction, status=status)
    response = put(interaction, {"statusDetails": details})
    assert response.status_code == code, response.json()
    interaction.refresh_from_db()
    if code == 200:
        assert response.json()["data"]["status"] == outcome
        assert (interaction.status, interaction.status_details) == (outcome, details)
        assert interaction.status_details_updated_at is not None
        moved = outcome != status
        assert (interaction.status_updated_at > EARLIER) is moved
    else:
        assert list(response.json()["errors"]) == [outcome]
        assert (interaction.status, interaction.status_details) == (status, None)


def test_status_and_details_must_agree(make, put):
    interaction = make()
    response = put(interaction, {"status": "failed", "statusDetails": "emailDelivered"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "status": ["statusDetails 'emailDelivered' implies status 'succeeded', not 'failed'."]
    }
    response = put(interaction, {"status": "succeeded", "statusDetails": "emailDelivered"})
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "succeeded"


def test_other_fields_and_their_timestamps(make, put, borrower):
    interaction = make(meta_data={"a": 1}, started_at=EARLIER)
    response = put(
        interaction,
        {
            "agentOutcome": "promiseToPay",
            "endedAt": "2026-01-01T00:10:00Z",
            "metaData": {"b": 2},
            "externalId": "E-1",
        },
    )
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["agentOutcome"], data["endedAt"], data["metaData"], data["externalId"]) == (
        "promiseToPay",
        "2026-01-01T00:10:00.000000Z",
        {"b": 2},
        "E-1",
    )
    assert data["agentOutcomeUpdatedAt"] is not None
    assert data["statusUpdatedAt"] == "2026-01-01T00:00:00.000000Z"  # status untouched
    assert data["statusDetailsUpdatedAt"] is None
    cleared = put(interaction, {"agentOutcome": None, "externalId": None}).json()["data"]
    assert (cleared["agentOutcome"], cleared["externalId"]) == (None, None)
    assert cleared["agentOutcomeUpdatedAt"] >= data["agentOutcomeUpdatedAt"]
    response = put(interaction, {"endedAt": "2025-12-31T00:00:00Z"})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["endedAt"]


def test_external_id_conflict_on_update_is_409(make, put):
    make(external_id="TAKEN")
    interaction = make(status="scheduled")
    response = put(interaction, {"externalId": "TAKEN", "status": "inProgress"})
    assert response.status_code == 409
    interaction.refresh_from_db()
    assert (interaction.external_id, interaction.status) == (None, "scheduled")


def test_theme_only_while_null(make, put):
    interaction = make(theme=None)
    assert put(interaction, {"theme": "noSuchTheme"}).status_code == 400
    response = put(interaction, {"theme": "opsCollDebt"})
    assert response.status_code == 200 and response.json()["data"]["theme"] == "opsCollDebt"
    assert put(interaction, {"theme": "opsCollDebt"}).status_code == 200  # unchanged: fine
    response = put(interaction, {"theme": "marketing"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "theme": ["The theme is already 'opsCollDebt'; it can only be set while null."]
    }
    interaction.refresh_from_db()
    assert interaction.theme == "opsCollDebt"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channel": "text"}, "channel"),
        ({"direction": "inbound"}, "direction"),
        ({"personId": "BO-AAAA-BBBB"}, "personId"),
        ({"subject": "welcome"}, "subject"),
        ({"channel": "text", "direction": "inbound", "status": "succeeded"}, "channel"),
        ({"status": "lost"}, "status"),
        ({"statusDetails": "nope"}, "statusDetails"),
        ({"agentOutcome": "shrug"}, "agentOutcome"),
        ({"endedAt": "soon"}, "endedAt"),
        ({"metaData": "x"}, "metaData"),
        ({"externalId": "x" * 256}, "externalId"),
        ({"sendat": "x"}, "sendat"),
    ],
)
def test_bad_update_is_400_and_changes_nothing(make, put, body, field):
    interaction = make()
    before = Interaction.objects.filter(pk=interaction.pk).values().get()
    response = put(interaction, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert Interaction.objects.filter(pk=interaction.pk).values().get() == before


def test_representation_can_be_sent_back(api, log, borrower):
    contact = ContactFactory(borrower=borrower, external_id="C-1")
    current = log(
        status="scheduled",
        contactId=contact.pk,
        loanIds=[LoanFactory(borrower=borrower).pk],
        content={"subjectLine": "Hi", "to": "ada@example.com"},
        metaData={"k": [1, 2]},
        sensitive=True,
        startedAt="2026-01-01T00:00:00Z",
    ).json()["data"]
    url = f"/api/people/{borrower.pk}/interactions/{current['id']}"
    response = api.put(url, {**current, "status": "inProgress"}, format="json")
    assert response.status_code == 200, response.json()
    updated = response.json()["data"]
    assert updated["status"] == "inProgress"
    changed = {k for k in current if current[k] != updated[k]}
    assert changed == {"status", "statusUpdatedAt", "updatedAt"}
    response = api.put(url, {**updated, "contactExternalId": "C-2", "loanIds": []}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"contactExternalId", "loanIds"}


def test_malformed_json_and_permissions(api, company, make, borrower, client_with):
    interaction = make()
    url = f"/api/people/{borrower.pk}/interactions/{interaction.pk}"
    response = api.put(url, "{", content_type="application/json")
    assert response.status_code == 400
    reader = client_with(company, ["interactions:read"])
    assert reader.put(url, {"status": "failed"}, format="json").status_code == 403
    interaction.refresh_from_db()
    assert interaction.status == "scheduled"


def test_set_fields_cannot_be_cleared(make, put):
    interaction = make(status="succeeded", status_details="emailDelivered", ended_at=EARLIER)
    for field in ("statusDetails", "theme", "endedAt"):
        response = put(interaction, {field: None})
        assert response.status_code == 400
        assert response.json()["errors"] == {field: ["Cannot be cleared once set."]}
    interaction.refresh_from_db()
    assert (interaction.status_details, interaction.theme, interaction.ended_at) == (
        "emailDelivered",
        "opsServicing",
        EARLIER,
    )
    unset = make(theme=None)
    response = put(unset, {"statusDetails": None, "theme": None, "endedAt": None})
    assert response.status_code == 200
    unset.refresh_from_db()
    assert (unset.status_details, unset.theme, unset.ended_at) == (None, None, None)
