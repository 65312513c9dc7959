"""The staff console's "Resend selected": the action leads to a confirmation page (GET:
the count, what is skipped, whether copies are checked; nothing written); its POST resends
through the bulk resend service and reports resent, refused and skipped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse

from interactions.admin_resend import SKIP_WARNING
from interactions.models import Interaction
from interactions.services import interaction_resend
from tests.interactions_send import resend_scenarios
from tests.interactions_send.conftest import count
from tests.interactions_send.resend_scenarios import (
    NEXT_MORNING,
    NIGHT,
    NIGHT_REFUSAL,
    email_original,
    text_original,
)

pytestmark = pytest.mark.django_db

clock = resend_scenarios.clock  # the fixture
CHANGELIST = reverse("admin:interactions_interaction_changelist")
CONFIRM = reverse("admin:interactions_interaction_resend")
SYSTEM = {"id": None, "name": "test", "userType": "system"}


@pytest.fixture
def rows(clock, company, borrower, contacts):  # noqa: ANN001, ANN201
    """Made three hours before ``NIGHT``, a second apart: a collection text, a payment
    reminder email, a resend of that email and an inbound email."""
    clock.now = NIGHT - timedelta(hours=3)
    made = {"text": lambda: text_original(borrower, contacts["phone"], send_at=clock.now)}
    made["email"] = lambda: email_original(borrower, contacts["email"])
    made["resend"] = lambda: interaction_resend(company, SYSTEM, made_rows["email"].pk)
    made["inbound"] = lambda: email_original(borrower, contacts["email"], direction="inbound")
    made_rows: dict[str, Interaction] = {}
    for name, make in made.items():
        clock.now += timedelta(seconds=1)
        made_rows[name] = make()
    clock.now = NIGHT
    return made_rows


def ids_of(rows: dict[str, Interaction]) -> str:
    return ",".join(row.pk for row in rows.values())


def copies_now() -> list[tuple[str, bool, str]]:
    """(original id, compliance_checked, status) of the copies made at ``NIGHT``, sorted."""
    rows = Interaction.objects.filter(created_at=NIGHT)
    return sorted(rows.values_list("previous_interaction_id", "compliance_checked", "status"))


def notes(response) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def test_the_action_leads_to_the_confirmation_page(admin_client, rows):
    selected = [row.pk for row in rows.values()]
    response = admin_client.post(CHANGELIST, {"action": "resend_selected", "_selected_action": selected})
    assert response.status_code == 302
    ordered = ",".join(row.pk for row in rows.values())  # made in this order
    assert response["Location"] == f"{CONFIRM}?ids={ordered.replace(',', '%2C')}"


def test_the_confirmation_page_shows_the_count_and_writes_nothing(admin_client, rows, published):
    before = count()
    page = admin_client.get(CONFIRM, {"ids": ids_of(rows)})
    assert page.status_code == 200
    html = " ".join(page.content.decode().split())
    assert (
        "You selected <strong>4</strong> interaction(s). <strong>2</strong> will be resent, or "
        "<strong>3</strong> with the 1 that are themselves resends. 1 inbound interaction(s) are skipped."
    ) in html
    assert "Each copy is checked against Compliance Guard when it is made" in html
    assert 'name="include_resends"' in html and 'name="skip_compliance_check"' in html
    assert f"Warning: {SKIP_WARNING}" in html
    assert (count(), published) == (before, [])


def test_post_resends_checked_and_reports_refused_and_skipped(
    admin_client, admin_user, rows, borrower, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CONFIRM, {"ids": ids_of(rows), "confirm": "Resend"})
    assert (response.status_code, response["Location"]) == (302, CHANGELIST)
    copy = Interaction.objects.get(created_at=NIGHT)
    text = rows["text"]
    assert notes(response) == [
        (
            "success",
            "Resent 1 of 4 interaction(s) (checked against Compliance Guard); refused 1 by Compliance "
            "Guard; skipped 1 inbound and 1 resend(s); 0 error(s).",
        ),
        (
            "warning",
            f"refused {text.pk} (text loanOverdueFirstNotice, person {borrower.pk}): timeOfDay: "
            f"{NIGHT_REFUSAL} sendAt: {NEXT_MORNING}",
        ),
    ]
    assert copies_now() == [(rows["email"].pk, True, "scheduled")]
    assert (copy.compliance_checked, copy.created_by["userType"], copy.created_by["id"]) == (
        True,
        "agent",
        str(admin_user.pk),
    )
    assert published == [copy.pk]


def test_post_can_include_resends_and_skip_the_check_with_a_warning(
    admin_client, rows, published, django_capture_on_commit_callbacks
):
    body = {"ids": ids_of(rows), "include_resends": "1", "skip_compliance_check": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CONFIRM, body)
    assert notes(response) == [
        (
            "warning",
            "Resent 3 of 4 interaction(s) (NOT checked against Compliance Guard); refused 0 by "
            "Compliance Guard; skipped 1 inbound and 0 resend(s); 0 error(s).",
        )
    ]
    text, email, resend = rows["text"], rows["email"], rows["resend"]
    assert copies_now() == sorted(
        [(text.pk, False, "scheduled"), (email.pk, False, "scheduled"), (resend.pk, False, "scheduled")]
    )
    assert len(published) == 3


def test_bad_ids_are_a_400_and_nothing_is_written(admin_client, rows, published):
    before = count()
    for body in ({"ids": ""}, {"ids": f"{rows['text'].pk},BO-AAAA-AAAA"}):
        response = admin_client.post(CONFIRM, body)
        assert response.status_code == 400
    assert response.content.decode() == "ids: not interaction ids: BO-AAAA-AAAA. Nothing was sent."
    assert (count(), published) == (before, [])


def test_staff_without_the_add_permission_cannot_resend(client, rows, published):
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_interaction"))
    client.force_login(staff)
    before = count()
    assert client.get(CONFIRM, {"ids": ids_of(rows)}).status_code == 403
    assert client.post(CONFIRM, {"ids": ids_of(rows)}).status_code == 403
    changelist = client.get(CHANGELIST).content.decode()
    assert "resend_selected" not in changelist
    assert (count(), published) == (before, [])
