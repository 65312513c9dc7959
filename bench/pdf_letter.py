"""Median time to render a one-page letter PDF, as a ratio to a floor.

The letter is a shipped ``mail`` template (the first of ``LETTERS`` that renders to one
page) rendered against the admin's sample context. The floor is the same template's HTML
part rendered without the PDF step (the sandboxed Jinja render alone); the measured time
is that render plus ``html_to_pdf`` (xhtml2pdf, letter pages, no resource access). Both
are medians of interleaved runs in this process. No database, no network; a bounded
number of runs (about 20 s at most).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 40
WARMUP = 3
LETTERS = ("ceaseCommunicationAcknowledgement", "loanTermsChanged", "annualPrivacyPolicyNotice")
FALLBACK = (
    '{% extends "layouts/letter.html" %}{% block content %}<p>Your payment of {{ loan.amountDue|currency }} '
    "was due on {{ loan.dueDate|date }}. Please contact us.</p>{% endblock %}"
)


def pick_letter() -> tuple[str, str]:
    import pypdf

    from templating.rendering import render_sources
    from templating.rendering.pdf import html_to_pdf
    from templating.sample_context import sample_context

    candidates = []
    for subject in LETTERS:
        path = ROOT / "templating" / "defaults" / "subjects" / subject / "mail.html"
        if path.is_file():
            candidates.append((subject, path.read_text(encoding="utf-8")))
    candidates.append(("inline one-paragraph letter", FALLBACK))
    for name, source in candidates:
        html = render_sources({"contentHtml": source}, sample_context("mail")).content_html
        if len(pypdf.PdfReader(io.BytesIO(html_to_pdf(html))).pages) == 1:
            return name, source
    raise SystemExit("No one-page letter to measure.")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peachcomms.settings")
    import django

    django.setup()
    from templating.rendering import render_sources
    from templating.rendering.pdf import html_to_pdf
    from templating.sample_context import sample_context

    name, source = pick_letter()
    context = sample_context("mail")

    def render_html() -> str:
        return render_sources({"contentHtml": source}, context).content_html

    def render_pdf() -> bytes:
        return html_to_pdf(render_html())

    for _ in range(WARMUP):
        render_pdf()
    floor_times, pdf_times = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        render_html()
        floor_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        pdf = render_pdf()
        pdf_times.append(time.perf_counter() - started)
    assert pdf.startswith(b"%PDF")
    floor_ms = statistics.median(floor_times) * 1000
    pdf_ms = statistics.median(pdf_times) * 1000
    print(
        f"one-page letter PDF ({name}, {len(pdf)} bytes): median {pdf_ms:.1f} ms; floor (HTML part "
        f"rendered without PDF): median {floor_ms:.2f} ms; ratio {pdf_ms / floor_ms:.0f}x the floor "
        f"[{RUNS} interleaved runs]"
    )


if __name__ == "__main__":
    main()
