"""The shipped rule rows (``compliance/defaults.json``) every company's rules start from."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DEFAULTS_PATH = Path(__file__).parent.with_name("defaults.json")


@cache
def default_rules() -> tuple[dict[str, Any], ...]:
    """The shipped rule rows (``compliance/defaults.json``), read once per process."""
    return tuple(json.loads(DEFAULTS_PATH.read_text())["rules"])
