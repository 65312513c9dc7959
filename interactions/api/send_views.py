"""The send routes: ``POST /communicator/send``, ``…/interactions/{id}/resend`` and
``…/send-free-form-email``. Thin: validate the body, call one service, shape the answer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from interactions import services
from interactions.api.send_inputs import (
    ComplianceRefusalSerializer,
    FreeFormEmailAcceptedSerializer,
    FreeFormEmailSerializer,
    InteractionIdSerializer,
    ResendSerializer,
    SendSerializer,
)
from interactions.api.serializers import InteractionSerializer
from interactions.models import Interaction
from peachcomms.api.schema import enveloped, error_response
from peachcomms.api.views import CompanyScopedView

TAGS = ["communicator"]
SEND_PERMISSION = "communicator:send"
RESEND_MESSAGE = "Resent without a Compliance Guard check: the caller owns that decision."
FREE_FORM_MESSAGE = (
    "Queued without a Compliance Guard check (free-form branded email): one interaction per recipient."
)

#: The answer to a replayed keyed send says where the first one got: "already <phase>:
#: <status>", with its statusDetails when it has some ("already sent: succeeded (emailDelivered)").
REPLAY_PHASES = {
    Interaction.Status.SCHEDULED: "queued",
    Interaction.Status.IN_PROGRESS: "sending",
    Interaction.Status.ATTEMPTED: "sent",
    Interaction.Status.SUCCEEDED: "sent",
    Interaction.Status.FAILED: "processed",
    Interaction.Status.CANCELED: "canceled",
}


def replay_message(interaction: Interaction) -> str:
    """``message`` of a send whose ``interactionExternalId`` an earlier send used: that
    interaction's real status, not the "queued" of the first answer."""
    phase = REPLAY_PHASES.get(interaction.status, "requested")
    details = f" ({interaction.status_details})" if interaction.status_details else ""
    return f"already {phase}: {interaction.status}{details}"


SEND_DESCRIPTION = """\
Creates an outbound interaction, checks it against Compliance Guard and queues it.

Order of work: validate → resolve borrower, contact, loans, case → subject and theme →
template selection and render (render errors are a 422 now) → Compliance Guard and the
insert, atomically per borrower → queue after commit.

- **Contact**: `contactId` must be this borrower's (404). Without it, the borrower's own
  (`affiliation: self`), valid, unarchived contact of the channel's type is chosen, primary →
  secondary → additional, the oldest first within a status (`text`: a `personal` or `mobile`
  phone with `receiveTextMessages`); none → 422. `chat` and `gui` need no contact: they are
  delivered to the borrower's portal.
- **Templates**: the company's active template for (subject, channel, language `en`), else the
  built-in one. `chat` and `gui` have no built-in templates of their own: without a company
  template for them, `chat` renders the subject's `text` template and `gui` its `email`
  template. No template at all → 422 (send with `useTemplate: false` instead).
  `overrideTemplateId`: a version of this company or a built-in one (any status; 404 otherwise),
  of the send's own subject (another subject's version → 422: a message is judged by its subject).
  `useTemplate: false`: the content is `context.subjectLine`, `context.contentHtml` and
  `context.contentText` as given (the text part is derived from the HTML when absent); a
  channel's essential part missing (`contentText` for text, voice and chat, `contentHtml` for
  mail, either for email and gui) → 400.
- **Compliance Guard** is evaluated at the instant the message is due: now, or `sendAt` plus the
  drawn jitter. Refused → 422 with `sendAt`, `complianceGuardRuleId` and `reason`; nothing is
  written or queued. The worker checks again just before the provider call.
- **isTransactional** never lifts a rule. A message is transactional only when its subject is
  transactional by default, its theme is the subject's own and not a debt-collection theme, and
  its content is the subject's template (not `useTemplate: false`); then `isTransactional: false`
  makes it non-transactional. A message of a debt-collection theme is debt collection for every
  Regulation F rule (time of day on every channel the rule covers, email included; frequency caps,
  where it is counted; post-conversation) whatever the flag says. The interaction's
  `isTransactional` records how the message was treated, which also decides delivery details
  (a non-transactional email carries the unsubscribe header). When the flag was `true` and a rule
  refuses, the 422 `message` says why the flag did not lift it.
- **sendAt / sendJitter**: a `sendAt` in the past means now (the guard judges now, never the
  past). The stored `sendAt` is max(`sendAt`, now) plus a uniform random
  0..`sendJitter` seconds (at most 86400); `sendAt` at most 366 days ahead. Messages due later
  stay rows until then (never broker countdowns).
- **overrideRecipient** (needs `communicator:overrideRecipient`, else 403): an email for
  `email`, a phone (normalised to E.164) for `text` and `voice`; other channels → 400. It is
  `content.to` and recorded in `metaData.overrideRecipient`. The guard still judges the
  borrower's contact; a debt-collection theme with `overrideRecipient` → 422 (a collection
  message goes only to a contact whose affiliation is checked, Regulation F 1006.6(d)).
- **attachments**: documents of this borrower that have content (422 otherwise), `email` only
  (400); `content.attachments` holds their ids (file names in `metaData.attachmentFileNames`);
  the bytes are read when the message is dispatched.
- **interactionExternalId**: a repeat returns the interaction the first send created, as it is
  now, and sends nothing more (also for concurrent repeats). Its `message` says where that
  interaction got: `already <phase>: <status>` plus `(<statusDetails>)` when set, the phase
  being `queued` (scheduled), `sending` (inProgress), `sent` (attempted, succeeded),
  `processed` (failed) or `canceled`; e.g. `already queued: scheduled`,
  `already sent: succeeded (emailDelivered)`. The value
  naming a different send (another borrower, channel or subject) or a logged interaction → 409.
- **createdBy**: every API key is an integration (`userType: integration`); `agentCanSend: false`
  refuses only agents (staff users), so it does not apply to API keys.
- 422 also for a `previewOnly` subject, no eligible contact and render failures (those bodies
  carry only `status` and `message`).
"""


class SendView(CompanyScopedView):
    permission_scope = "communicator"
    required_permissions = {"POST": SEND_PERMISSION}
    serializer_class = InteractionSerializer

    @extend_schema(
        operation_id="communicator_send",
        summary="Send a message (compliance-checked, queued)",
        description=SEND_DESCRIPTION,
        tags=TAGS,
        request=SendSerializer,
        responses={
            200: enveloped(InteractionSerializer),
            403: error_response(403, "The key lacks communicator:send (or communicator:overrideRecipient)."),
            404: error_response(404),
            409: error_response(409, "interactionExternalId already names a different interaction."),
            422: OpenApiResponse(
                ComplianceRefusalSerializer,
                description="Compliance Guard refused (this body). Also no eligible contact, a "
                "previewOnly subject, no template or a render failure (`status` and `message` only).",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        interaction, created = services.interaction_send(
            self.company,
            request.auth,
            self.input(SendSerializer),
            settings_version=self.company.settings_version,  # read with the key, just now
        )
        message = "queued" if created else replay_message(interaction)
        return self.respond(self.output(interaction), message=message)


class ResendView(CompanyScopedView):
    permission_scope = "communicator"
    required_permissions = {"POST": SEND_PERMISSION}
    serializer_class = InteractionIdSerializer

    @extend_schema(
        operation_id="communicator_interactions_resend",
        summary="Resend an outbound interaction (not compliance-checked)",
        description=(
            "Copies an outbound interaction (subject, channel, theme, contact, loans, case, the "
            "rendered content with its recipient and attachments) into a new `scheduled` "
            "interaction linked by `previousInteractionId`, due now, and queues it. **Not** checked "
            "against Compliance Guard, now or in the worker: the caller owns that decision. "
            "`externalId` and `supercaseBulkOperationId` are not copied. 400 for an inbound "
            "original or one without recorded content; 404 unknown interaction."
        ),
        tags=TAGS,
        request=ResendSerializer,
        responses={202: enveloped(InteractionIdSerializer), 404: error_response(404)},
    )
    def post(self, request: Request, interactionId: str) -> Response:  # noqa: N803
        self.input(ResendSerializer)
        interaction = services.interaction_resend(self.company, request.auth, interactionId)
        return self.respond({"interactionId": interaction.pk}, message=RESEND_MESSAGE, status=202)


class FreeFormEmailView(CompanyScopedView):
    permission_scope = "communicator"
    required_permissions = {"POST": SEND_PERMISSION}
    serializer_class = FreeFormEmailAcceptedSerializer

    @extend_schema(
        operation_id="communicator_send_free_form_email",
        summary="Send a branded free-form email (not compliance-checked)",
        description=(
            "The caller's `subjectLine`, `contentHtml` (sanitised to a safe tag allow-list) and "
            "`contentPlain` (derived from the HTML when absent) rendered through the company's "
            "active `freeFormBranded` email template (its own, else the built-in one) in "
            "`language`. One interaction per `to` recipient (subject `freeFormBranded`, channel "
            "`email`), linked to `personId` when given, else to the one borrower of the company "
            "with an email contact of that address (the domain compares case-insensitively); an "
            "address no borrower (or several) has still gets its email, on an interaction with "
            "`personId: null`. `cc`/`bcc` are recorded on each interaction of their "
            "personalization (`metaData.cc`, `metaData.bcc`). At most 100 personalizations and "
            "100 recipients (to, cc and bcc together). `theme` is optional (null when absent); "
            "a debt-collection theme is refused with 422 (free-form email is not checked, and "
            "Regulation F applies to every collection message: send those through "
            "`/communicator/send`). `isTransactional` defaults to false; it decides delivery "
            "details only (a non-transactional email carries the unsubscribe header). **Not** "
            "checked against Compliance Guard. "
            "`subjectLine` and one of `contentHtml`/`contentPlain` are required."
        ),
        tags=TAGS,
        request=FreeFormEmailSerializer,
        responses={
            202: enveloped(FreeFormEmailAcceptedSerializer),
            404: error_response(404),
            422: error_response(422),
        },
    )
    def post(self, request: Request) -> Response:
        result = services.interaction_send_free_form_email(
            self.company, request.auth, self.input(FreeFormEmailSerializer)
        )
        ids = result.interaction_ids
        return self.respond(
            {"interactionId": ids[0], "interactionIds": ids}, message=FREE_FORM_MESSAGE, status=202
        )
