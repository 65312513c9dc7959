"""An invalid enum value's 400 says what to send instead: the valid values, or for the
subjects (too many to list) the closest one, on every route that takes one."""

from __future__ import annotations

import inspect

import pytest
from rest_framework import serializers

from borrowers.models import Borrower
from interactions.models import Interaction
from peachcomms.api.serializers import EnumField
from peachcomms.choices import LIST_IN_FULL_MAX, closest_choice, invalid_choice
from templating.models import TemplateDescriptor
from tests.factories import BorrowerFactory, ContactFactory

SUGGESTION = "Did you mean 'paymentDueReminder'? See GET /api/communicator/subjects for the valid values."
THEMES = (
    "agentNotification, marketing, opsAccountCredentials, opsCollContactEmployerNotice, opsCollDebt, "
    "opsCollLocateBorrower, opsCollVerifyEmployment, opsServicing, opsServicingDebtValidation, "
    "opsServicingNegativeCreditReportNotice, opsServicingTimeBarredNotice"
)


def test_a_short_enum_is_listed_in_full():
    assert (
        invalid_choice("fax", ["email", "text"])
        == "'fax' is not a valid choice. Must be one of: email, text."
    )


def test_a_long_enum_suggests_the_closest_value_case_insensitively():
    choices = [f"value{n}" for n in range(LIST_IN_FULL_MAX)] + ["paymentDueReminder"]
    assert closest_choice("PAYMENTDUEREMINDR", choices) == "paymentDueReminder"
    assert invalid_choice("paymentReminder", choices) == (
        "'paymentReminder' is not a valid choice. Did you mean 'paymentDueReminder'?"
    )
    assert invalid_choice("zzz", choices) == "'zzz' is not a valid choice. No valid value is close to it."
    assert closest_choice(5, choices) is None


@pytest.mark.django_db
def test_a_model_enum_lists_its_values_and_writes_nothing(api):
    ROBOT = "'robot' is not a valid choice. Must be one of: person, business."
    response = api.post("/api/people", {"borrowerType": "robot"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": f"Invalid field 'borrowerType': {ROBOT}",
        "errors": {"borrowerType": [ROBOT]},
    }
    assert Borrower.objects.count() == 0


@pytest.mark.django_db
def test_a_declared_enum_lists_its_values(api, company):
    person = BorrowerFactory(company=company)
    response = api.post(
        f"/api/people/{person.pk}/interactions",
        {"channel": "email", "direction": "sideways", "subject": "welcome"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "direction": ["'sideways' is not a valid choice. Must be one of: inbound, outbound."]
    }
    response = api.get("/api/interactions?statusDetails=delivred")
    assert response.status_code == 400
    assert response.json()["errors"]["statusDetails"][0].startswith("'delivred' is not a valid choice.")
    assert Interaction.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_theme_lists_the_themes(api):
    response = api.get("/api/interactions?theme=collections")
    assert response.status_code == 400
    assert response.json()["message"] == f"Unknown theme 'collections'. Must be one of: {THEMES}."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    ["send", "render-json", "render", "can-interact", "log", "interaction list", "descriptor create"],
)
def test_an_unknown_subject_suggests_the_closest_everywhere(api, company, route):
    person = BorrowerFactory(company=company)
    ContactFactory(borrower=person)
    calls = {
        "send": lambda: api.post(
            "/api/communicator/send",
            {"personId": person.pk, "subject": "paymentReminder", "channel": "email"},
            format="json",
        ),
        "render-json": lambda: api.post(
            "/api/communicator/render-json", {"subject": "paymentReminder"}, format="json"
        ),
        "render": lambda: api.post(
            "/api/communicator/render?fmt=pdf", {"subject": "paymentReminder"}, format="json"
        ),
        "can-interact": lambda: api.post(
            f"/api/people/{person.pk}/can-interact",
            {"channel": "email", "subject": "paymentReminder"},
            format="json",
        ),
        "log": lambda: api.post(
            f"/api/people/{person.pk}/interactions",
            {"channel": "voice", "direction": "outbound", "subject": "paymentReminder"},
            format="json",
        ),
        "interaction list": lambda: api.get("/api/interactions?subject=paymentReminder"),
        "descriptor create": lambda: api.post(
            "/api/communicator/templatedescriptors",
            {"subject": "paymentReminder", "channel": "email"},
            format="json",
        ),
    }
    response = calls[route]()
    assert response.status_code == 400, response.json()
    assert response.json() == {
        "status": 400,
        "message": f"Unknown subject 'paymentReminder'. {SUGGESTION}",
        "errors": {"subject": [f"Unknown subject. {SUGGESTION}"]},
    }
    assert (Interaction.objects.count(), TemplateDescriptor.objects.filter(company=company).count()) == (0, 0)


@pytest.mark.django_db
def test_an_unknown_subject_in_a_path_is_a_404_with_the_suggestion(api):
    for response in (
        api.get("/api/communicator/subjects/paymentReminder"),
        api.put("/api/communicator/subjects/paymentReminder", {"agentCanSend": False}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "status": 404,
            "message": f"Unknown subject 'paymentReminder'. {SUGGESTION}",
        }


def _serializer_classes() -> list[type[serializers.Serializer]]:
    found, todo = [], [serializers.Serializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {
            "borrowers",
            "compliance",
            "interactions",
            "subjects",
            "templating",
        }:
            found.append(cls)
    return found


def _writable_choice_fields(serializer: serializers.Serializer, path: str = ""):  # noqa: ANN202
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        child = getattr(field, "child", None)
        for candidate, where in ((field, name), (child, f"{name}[]")):
            if isinstance(candidate, serializers.Serializer):
                yield from _writable_choice_fields(candidate, f"{path}{where}.")
            elif isinstance(candidate, serializers.ChoiceField):
                yield f"{path}{where}", candidate


@pytest.mark.django_db
def test_every_enum_of_a_request_body_is_an_enum_field():
    """The guard of the one mechanism: a plain DRF ChoiceField would answer '"x" is not a
    valid choice.' and nothing more."""
    checked, plain = 0, []
    for cls in _serializer_classes():
        if inspect.isabstract(cls):
            continue
        try:
            serializer = cls()
            fields = list(_writable_choice_fields(serializer))
        except Exception:  # noqa: BLE001, S112 - serializers needing arguments are built elsewhere
            continue
        for where, field in fields:
            checked += 1
            if not isinstance(field, EnumField):
                plain.append(f"{cls.__module__}.{cls.__name__}.{where}")
    assert plain == []
    assert checked >= 10


def test_an_unknown_subject_is_a_400_before_the_contact_is_chosen(api, company) -> None:  # noqa: ANN001
    """A borrower with no contact at all: the subject is still what the answer names."""
    borrower = BorrowerFactory(company=company)
    response = api.post(
        "/api/communicator/send",
        {"personId": borrower.pk, "subject": "paymentReminder", "channel": "email"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith(
        "Unknown subject 'paymentReminder'. Did you mean 'paymentDueReminder'?"
    )
