"""Schemathesis hooks of bin/schemathesis_run.py: value strategies for the string formats
the OpenAPI document declares beyond JSON Schema's own (peachcomms/api/schema_constraints.py).

``phone``: a number ``borrowers.validators.normalize_phone`` accepts. Validity depends on
each country's numbering plan (libphonenumber's metadata), which no pattern can say, so
the document names the format and this draws real numbers from the same metadata.
"""

from __future__ import annotations

import phonenumbers
import schemathesis
from hypothesis import strategies as st

REGIONS = ("US", "CA", "GB", "MX", "PR", "DE", "IN")
KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


def _example_numbers() -> list[str]:
    numbers = []
    for region in REGIONS:
        for kind in KINDS:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                numbers.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return sorted(set(numbers))


schemathesis.openapi.format("phone", st.sampled_from(_example_numbers()))
