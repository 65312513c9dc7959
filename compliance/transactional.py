"""Whether a message is transactional: decided by what the message is, never by a caller's
flag alone (docs/adr/0007-what-makes-a-message-transactional.md).

A transactional message is exempt from the rules that protect borrowers from contact they
did not ask for (time of day for texts and calls, the inactive-borrower rule) and is never
capped or counted as debt collection. So the exemption is earned by the message, not
claimed: a message is transactional only when

- its subject is transactional by default (the subject descriptor's ``isTransactional``),
- its theme is the subject's own theme (a caller's other theme is a message the subject
  does not describe),
- that theme is not a debt-collection theme (Regulation F covers every such message),
- its content is the subject's template (not the caller's own, ``useTemplate: false``),
- and the caller did not mark it non-transactional (``isTransactional: false``).

A caller's ``isTransactional: true`` therefore never lifts a rule; ``false`` makes a
transactional subject's message non-transactional (stricter), which also gives an email
its unsubscribe header. Every rule and the stored ``isTransactional`` of a sent message
use this one function.
"""

from __future__ import annotations

from dataclasses import dataclass

from subjects.selectors import SubjectDescriptor, theme_get


@dataclass(frozen=True)
class Treatment:
    """``transactional``: how the message is treated. ``overruled``: when the caller
    claimed ``isTransactional: true`` and the message is not transactional, why (one
    clause a compliance officer can read); else None."""

    transactional: bool
    overruled: str | None = None


def transactional_treatment(
    descriptor: SubjectDescriptor | None,
    theme: str | None,
    *,
    claimed: bool | None,
    own_content: bool = False,
) -> Treatment:
    """How a message of ``descriptor``'s subject and ``theme`` is treated (module
    docstring). ``claimed`` is the caller's ``isTransactional`` (None when not given);
    ``own_content`` is true when the content is the caller's rather than the subject's
    template. A message without a subject or theme is not transactional."""
    why = _why_not(descriptor, theme, own_content)
    if why is None:
        return Treatment(transactional=claimed is not False)
    return Treatment(transactional=False, overruled=why if claimed else None)


def _why_not(descriptor: SubjectDescriptor | None, theme: str | None, own_content: bool) -> str | None:
    if descriptor is None:
        return "a message without a subject is never transactional"
    if theme is None:
        return "a message without a theme is treated as debt collection"
    if theme_get(theme).is_debt_collection:
        return f"{theme} is a debt-collection theme, and Regulation F applies to every such message"
    if not descriptor.is_transactional:
        return f"the subject {descriptor.subject} is not transactional"
    if theme != descriptor.theme:
        return f"the theme {theme} is not the subject {descriptor.subject}'s own ({descriptor.theme})"
    if own_content:
        return "its content is the caller's own (useTemplate: false), not the subject's template"
    return None


__all__ = ["Treatment", "transactional_treatment"]
