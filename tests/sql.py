"""What a captured round trip ran, statement by statement: the send path's hot statements
are prepared (``peachcomms.db``), so a round trip reads ``PREPARE name AS …; EXECUTE
name(…)`` or just ``EXECUTE name(…)``; these give back the statements behind the names."""

from __future__ import annotations

import re

from django.db import connection

_EXECUTE = re.compile(r"EXECUTE (peachcomms_\d+)\b")
#: Where a round trip's statements meet: "; " before a statement's first word (a bare
#: "; " also occurs inside the literals of an INSERT's content).
_BETWEEN = re.compile(r"; (?=(?:PREPARE|EXECUTE|SELECT|WITH|INSERT|UPDATE|DELETE) )")


def statements(sql: str) -> list[str]:
    """The statements of one captured round trip, each ``EXECUTE`` replaced by the
    statement it runs and each ``PREPARE`` left out (its ``EXECUTE`` follows)."""
    found = []
    for statement in _BETWEEN.split(sql):
        if statement.startswith("PREPARE "):
            continue
        executed = _EXECUTE.match(statement)
        if executed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [executed[1]])
                statement = cursor.fetchone()[0].split(" AS ", 1)[1]
        found.append(statement)
    return found
