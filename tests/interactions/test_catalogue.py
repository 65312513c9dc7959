import pytest

from interactions import catalogue
from interactions.models import Interaction

FINAL = ["succeeded", "failed", "canceled"]


def test_statuses_match_the_model():
    assert catalogue.status_values() == Interaction.Status.values
    assert [s for s in catalogue.status_values() if catalogue.status_is_final(s)] == FINAL


@pytest.mark.parametrize(
    "old, new, allowed",
    [
        ("scheduled", "inProgress", True),
        ("scheduled", "attempted", True),
        ("scheduled", "succeeded", True),
        ("scheduled", "failed", True),
        ("scheduled", "canceled", True),
        ("inProgress", "attempted", True),
        ("inProgress", "succeeded", True),
        ("inProgress", "failed", True),
        ("attempted", "succeeded", True),
        ("attempted", "failed", True),
        ("inProgress", "scheduled", False),
        ("inProgress", "canceled", False),
        ("attempted", "inProgress", False),
        ("attempted", "canceled", False),
        ("succeeded", "failed", False),
        ("succeeded", "scheduled", False),
        ("failed", "succeeded", False),
        ("canceled", "scheduled", False),
        ("scheduled", "scheduled", False),
        ("scheduled", "bogus", False),
        ("bogus", "scheduled", False),
    ],
)
def test_can_transition(old, new, allowed):
    assert catalogue.can_transition(old, new) is allowed


def test_channels():
    assert catalogue.channel_values() == ["voice", "email", "text", "chat", "mail", "gui", "document", "fax"]
    assert "fax" not in catalogue.channel_values(include_deprecated=False)
    assert catalogue.channel_is_deprecated("fax") is True
    assert catalogue.channel_is_deprecated("email") is False


@pytest.mark.parametrize(
    "value, channel, direction, fits",
    [
        ("emailDelivered", "email", "outbound", True),
        ("emailDelivered", "voice", "outbound", False),
        ("emailDelivered", "email", "inbound", False),
        ("voiceMissedCall", "voice", "inbound", True),
        ("voiceMissedCall", "voice", "outbound", False),
        ("voiceSpokeWithFirstParty", "voice", "inbound", True),
        ("voiceSpokeWithFirstParty", "voice", "outbound", True),
        ("chatCompleted", "chat", "inbound", True),
        ("providerError", "text", "outbound", True),
        ("providerError", "mail", "outbound", True),
        ("providerError", "text", "inbound", False),
        ("nonsense", "email", "outbound", False),
    ],
)
def test_status_details_fit(value, channel, direction, fits):
    assert catalogue.status_details_fits(value, channel, direction) is fits


def test_status_details_rows():
    assert len(catalogue.status_details_values()) == 27
    detail = catalogue.status_details_get("textDelivered")
    assert detail is not None
    assert (detail.channels, detail.directions, detail.implies, detail.counts) == (
        frozenset({"text"}),
        frozenset({"outbound"}),
        "succeeded",
        "C",
    )
    assert catalogue.status_details_get("nonsense") is None
    assert {catalogue.status_details_implies(v) for v in catalogue.status_details_values()} <= set(
        catalogue.status_values()
    )


def test_counts_for_frequency():
    assert catalogue.counts_for_frequency("voiceNoAnswer") == "A"
    assert catalogue.counts_for_frequency("voiceSpokeWithFirstParty") == "C"
    assert catalogue.counts_for_frequency("voiceBusy") is None
    assert catalogue.counts_for_frequency(None) is None
    assert catalogue.counts_for_frequency("nonsense") is None
    assert catalogue.status_details_counted() == {
        "voiceSpokeWithFirstParty",
        "voiceSpokeWithThirdParty",
        "voiceLeftVoicemail",
        "voiceLeftMessageWithThirdParty",
        "voiceNoAnswer",
        "voiceWrongNumber",
        "emailSent",
        "emailDelivered",
        "emailOpened",
        "emailSpamReport",
        "textSent",
        "textDelivered",
        "mailSent",
        "chatCompleted",
        "guiDisplayed",
    }


def test_agent_outcomes():
    outcomes = catalogue.agent_outcome_values()
    assert len(outcomes) == 16
    assert outcomes[0] == "voiceSpokeWithFirstParty" and outcomes[-1] == "other"
