"""A PDF's bounds: too long a letter is refused before rendering, too slow a render is
killed at its deadline (422, nothing written), and one company renders at most
``PDF_RENDERS_PER_COMPANY`` PDFs at once (429 with Retry-After) without limiting another."""

from __future__ import annotations

import io
import threading
from contextlib import ExitStack

import billiard
import pypdf
import pytest
from django.db import connection, transaction

from borrowers.models import Loan
from peachcomms.errors import RateLimited
from templating.pdf_slots import pdf_render_slot
from templating.rendering import TemplateRenderError
from templating.rendering.pdf import html_to_pdf
from tests.conftest import make_client
from tests.factories import BorrowerFactory, CompanyFactory, DocumentFactory, LoanFactory

ADVICE = "Shorten it (fewer pages, rows or tables) or split it into several letters."
#: The probe's template: 10,000 small tables (about 30,000 tags).
TEN_THOUSAND_TABLES = "{% for i in range(10000) %}<table><tr><td>Row {{ i }}</td></tr></table>{% endfor %}"
#: Under the element limit, and far more than 0.01 s of xhtml2pdf's time.
A_THOUSAND_TABLES = "{% for i in range(1000) %}<table><tr><td>Row {{ i }}</td></tr></table>{% endfor %}"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # noqa: ANN001, ANN202
    settings.MEDIA_ROOT = tmp_path


def letter(make_template, company, html: str) -> None:  # noqa: ANN001
    make_template(company, subject="custom1", channel="mail", html=html)


def assert_untouched(document) -> None:  # noqa: ANN001
    """The document row is as the factory made it: no content, nothing changed."""
    fields = ("content", "status", "content_length", "content_type", "template_version_id", "updated_at")
    before = {name: getattr(document, name) for name in fields}
    document.refresh_from_db()
    assert {name: getattr(document, name) for name in fields} == before
    assert not document.content
    assert document.status == "pending"


# --- size and time ------------------------------------------------------------------------


@pytest.mark.django_db
def test_ten_thousand_tables_are_refused_before_rendering_and_write_nothing(api, company, make_template):
    letter(make_template, company, TEN_THOUSAND_TABLES)
    person = BorrowerFactory(company=company)
    document = DocumentFactory(borrower=person)
    expected = (
        "The letter is too long to render as a PDF: its HTML has more than 5,000 elements (tags), "
        f"the most allowed. {ADVICE}"
    )
    response = api.post(
        "/api/communicator/render?fmt=pdf", {"subject": "custom1", "personId": person.pk}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["message"] == expected
    response = api.post(
        "/api/communicator/render-to-document?fmt=pdf",
        {"subject": "custom1", "documentId": document.pk},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["message"] == expected
    assert_untouched(document)


def test_html_over_the_character_limit_is_refused(settings):  # noqa: ANN001
    settings.PDF_MAX_HTML_CHARS = 100
    with pytest.raises(TemplateRenderError) as raised:
        html_to_pdf("<p>" + "x" * 98 + "</p>")
    assert raised.value.message == (
        "The letter is too long to render as a PDF: its HTML has 105 characters, more than the 100 "
        f"allowed. {ADVICE}"
    )
    settings.PDF_MAX_HTML_CHARS = 105
    assert html_to_pdf("<p>" + "x" * 98 + "</p>").startswith(b"%PDF")


def test_the_element_limit_is_exact(settings):  # noqa: ANN001
    settings.PDF_MAX_ELEMENTS = 3
    assert html_to_pdf("<html><body><p>three tags</p></body></html>").startswith(b"%PDF")
    with pytest.raises(TemplateRenderError) as raised:
        html_to_pdf("<html><body><p>four</p><p>tags</p></body></html>")
    assert "more than 3 elements (tags)" in raised.value.message


def test_a_render_past_its_deadline_is_killed_with_a_422(settings):  # noqa: ANN001
    settings.PDF_RENDER_SECONDS = 0.01
    html = "".join(f"<table><tr><td>Row {i}</td></tr></table>" for i in range(1000))
    with pytest.raises(TemplateRenderError) as raised:
        html_to_pdf(html)
    assert raised.value.message == (
        f"The letter took too long to render as a PDF: it was stopped after 0.01 seconds. {ADVICE}"
    )
    assert billiard.active_children() == []  # the render process is gone


@pytest.mark.django_db
def test_a_slow_letter_is_timeboxed_through_the_api_and_writes_nothing(api, company, make_template, settings):  # noqa: ANN001
    settings.PDF_RENDER_SECONDS = 0.01
    letter(make_template, company, A_THOUSAND_TABLES)
    person = BorrowerFactory(company=company)
    document = DocumentFactory(borrower=person)
    expected = f"The letter took too long to render as a PDF: it was stopped after 0.01 seconds. {ADVICE}"
    response = api.post(
        "/api/communicator/render?fmt=pdf", {"subject": "custom1", "personId": person.pk}, format="json"
    )
    assert (response.status_code, response.json()["message"]) == (422, expected)
    response = api.post(
        "/api/communicator/render-to-document?fmt=pdf",
        {"subject": "custom1", "documentId": document.pk},
        format="json",
    )
    assert (response.status_code, response.json()["message"]) == (422, expected)
    assert_untouched(document)
    # The same letter with the default deadline renders, every row in it.
    settings.PDF_RENDER_SECONDS = 60
    response = api.post(
        "/api/communicator/render?fmt=pdf", {"subject": "custom1", "personId": person.pk}, format="json"
    )
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "Row 0" in text
    assert "Row 999" in text


# --- per-company concurrency ----------------------------------------------------------------


@pytest.mark.django_db
def test_slots_are_exact_under_concurrency(settings):  # noqa: ANN001
    """Eight threads race for three slots of one company (cache.add on Redis): exactly
    three get one; the others are refused with a Retry-After; all are free afterwards."""
    settings.PDF_RENDERS_PER_COMPANY = 3
    company_id = CompanyFactory().pk
    attempts = threading.Barrier(8)
    everyone_tried = threading.Barrier(8)
    held: list[int] = []
    refused: list[int] = []

    def render(index: int) -> None:
        attempts.wait(timeout=10)
        try:
            with pdf_render_slot(company_id):
                held.append(index)
                everyone_tried.wait(timeout=10)  # hold the slot until every thread has tried
        except RateLimited as error:
            refused.append(error.retry_after)
            everyone_tried.wait(timeout=10)

    threads = [threading.Thread(target=render, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(held) == 3
    assert len(refused) == 5
    assert all(1 <= wait <= 12 for wait in refused), refused  # 10 s PDF + 2 s template, at most
    with ExitStack() as stack:  # all three are free again
        for _ in range(3):
            stack.enter_context(pdf_render_slot(company_id))


@pytest.mark.django_db
def test_a_company_at_its_limit_gets_429_and_another_company_renders(api, company, make_template, settings):  # noqa: ANN001
    settings.PDF_RENDERS_PER_COMPANY = 2
    letter(make_template, company, "<p>Letter</p>")
    person = BorrowerFactory(company=company)
    document = DocumentFactory(borrower=person)
    other = CompanyFactory(name="Other Lender")
    letter(make_template, other, "<p>Other letter</p>")
    other_person = BorrowerFactory(company=other)
    other_api = make_client(other)
    pdf = {"subject": "custom1", "personId": person.pk}
    with ExitStack() as renders:  # two renders of the company under way
        renders.enter_context(pdf_render_slot(company.pk))
        renders.enter_context(pdf_render_slot(company.pk))
        response = api.post("/api/communicator/render?fmt=pdf", pdf, format="json")
        assert response.status_code == 429
        assert response.json()["message"] == (
            "This company is already rendering 2 PDF(s) at once, the most it may; "
            "retry when one has finished."
        )
        assert 1 <= int(response["Retry-After"]) <= 12
        response = api.post(
            "/api/communicator/render-to-document?fmt=pdf",
            {"subject": "custom1", "documentId": document.pk},
            format="json",
        )
        assert response.status_code == 429
        assert_untouched(document)
        # HTML is not a PDF: not limited.
        response = api.post("/api/communicator/render?fmt=html", {**pdf, "channel": "mail"}, format="json")
        assert (response.status_code, response.content) == (200, b"<p>Letter</p>")
        response = other_api.post(
            "/api/communicator/render?fmt=pdf",
            {"subject": "custom1", "personId": other_person.pk},
            format="json",
        )
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
    response = api.post("/api/communicator/render?fmt=pdf", pdf, format="json")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_zero_means_no_limit(settings):  # noqa: ANN001
    settings.PDF_RENDERS_PER_COMPANY = 0
    company_id = CompanyFactory().pk
    with ExitStack() as stack:
        for _ in range(5):
            stack.enter_context(pdf_render_slot(company_id))


@pytest.mark.django_db
def test_without_a_reachable_cache_the_render_goes_ahead(api, company, make_template, settings, caplog):  # noqa: ANN001
    """A Redis outage must not stop letters: the slot is skipped (logged), the render is
    still bounded in time."""
    letter(make_template, company, "<p>Letter</p>")
    person = BorrowerFactory(company=company)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = api.post(
        "/api/communicator/render?fmt=pdf", {"subject": "custom1", "personId": person.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert "PDF render slots unavailable; rendering without the per-company limit" in caplog.text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_pdf_requests_of_one_company_over_its_limit(make_template, settings):  # noqa: ANN001
    """Five requests of one company at once through the API, two slots: the two that get a
    slot wait (their loan read is held behind a table lock), the other three are answered
    429 with Retry-After at once; another company renders meanwhile; then the two finish."""
    settings.PDF_RENDERS_PER_COMPANY = 2
    company, other = CompanyFactory(), CompanyFactory(name="Other Lender")
    for owner in (company, other):
        letter(make_template, owner, "<p>Letter {{ loan.id }}</p>")
    person = BorrowerFactory(company=company)
    loan = LoanFactory(borrower=person)
    other_person = BorrowerFactory(company=other)
    body = {"subject": "custom1", "personId": person.pk, "loanId": loan.pk}
    results: list[tuple[int, str | None]] = []
    done = threading.Condition()

    def request() -> None:
        try:
            response = make_client(company).post("/api/communicator/render?fmt=pdf", body, format="json")
            with done:
                results.append((response.status_code, response.get("Retry-After")))
                done.notify_all()
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(5)]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Loan._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        for thread in threads:
            thread.start()
        with done:
            done.wait_for(lambda: len(results) >= 3, timeout=60)
        refused = list(results)
        other_response = make_client(other).post(
            "/api/communicator/render?fmt=pdf",
            {"subject": "custom1", "personId": other_person.pk},
            format="json",
        )
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in refused] == [429, 429, 429]
    assert all(1 <= int(wait) <= 12 for _, wait in refused)
    assert other_response.status_code == 200
    assert other_response.content.startswith(b"%PDF")
    assert sorted(status for status, _ in results) == [200, 200, 429, 429, 429]
    # Both slots were given back.
    with ExitStack() as stack:
        stack.enter_context(pdf_render_slot(company.pk))
        stack.enter_context(pdf_render_slot(company.pk))


def _pdf_header(html: str) -> bytes:
    return html_to_pdf(html)[:5]


def test_a_celery_prefork_child_renders_pdfs_too():
    """A Celery worker's pool processes are daemonic (billiard); the render process must
    start from one all the same (multiprocessing refuses daemonic processes children)."""
    with billiard.Pool(1) as pool:
        assert pool.apply(_pdf_header, ("<p>A letter</p>",)) == b"%PDF-"
