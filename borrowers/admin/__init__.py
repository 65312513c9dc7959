"""The staff console's pages for companies, API keys, borrowers and their records."""

from borrowers.admin import companies, people  # noqa: F401 - registers the pages
