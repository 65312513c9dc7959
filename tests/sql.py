"""What a captured round trip ran, statement by statement: the send path's hot reads send
several statements in one round trip (``peachcomms.db.fetch_many``)."""

from __future__ import annotations

import re

#: Where a round trip's statements meet: "; " before a statement's first word (a bare
#: "; " also occurs inside the literals of an INSERT's content).
_BETWEEN = re.compile(r"; (?=(?:SELECT|WITH|INSERT|UPDATE|DELETE) )")


def statements(sql: str) -> list[str]:
    """The statements of one captured round trip."""
    return _BETWEEN.split(sql)
