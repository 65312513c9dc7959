"""What the operator commands print: JSON for scripts (``--json``), sentences for people."""

from __future__ import annotations

import json

from django.core.management.base import OutputWrapper

KEY_SHOWN_ONCE = "Keep it now: only its hash is stored, so it cannot be shown again."


def write_json(stdout: OutputWrapper, payload: dict[str, object]) -> None:
    stdout.write(json.dumps(payload))
