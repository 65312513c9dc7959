"""HTML → PDF, bounded in size and time: the one way the service makes a PDF.

xhtml2pdf is pure Python and slow on long documents (10,000 small tables take about 20 s),
and it checks its own clock only between elements, so a web worker that runs it in-process
is held for as long as the document takes. Every PDF is therefore made here, under two
bounds (settings, documented in the README's configuration table):

- **before** xhtml2pdf runs: the HTML may have at most ``PDF_MAX_HTML_CHARS`` characters
  and ``PDF_MAX_ELEMENTS`` start tags (a count, not a parse: cheap, and what xhtml2pdf's
  time grows with);
- **while** it runs: in a child process (:mod:`templating.rendering.pdf_convert`), killed
  with SIGKILL when it has not answered within ``PDF_RENDER_SECONDS``.

Either is a :class:`TemplateRenderError` (422) saying the letter is too long or took too
long, so the API answers it and writes nothing. Children are forked from a forkserver
(started once per process on the first PDF, with xhtml2pdf already imported): a fork of
that small, single-threaded process is cheap, and unlike a fork of the web worker it
copies no database connection and no lock another thread held.

How many PDFs one company may render at once is :mod:`templating.pdf_slots`'s concern.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import time

import billiard
from django.conf import settings

from templating.rendering.pdf_convert import ASSETS_DIR, BLOCKED, FAILED, convert_in_child, link_callback
from templating.rendering.render import TemplateRenderError

__all__ = ["ASSETS_DIR", "BLOCKED", "html_to_pdf", "link_callback", "pdf_size_check"]

logger = logging.getLogger(__name__)

# billiard (Celery's multiprocessing) rather than multiprocessing: the same API, but it lets
# a daemonic process start one, so a Celery prefork worker (whose children are daemonic) can
# render a PDF the same way as a web worker.
_CONTEXT = billiard.get_context("forkserver")
# ``__main__`` too (the default preload): a child whose forkserver has not imported the
# main module (gunicorn's, celery's, manage.py) imports it itself, on every PDF.
_CONTEXT.set_forkserver_preload(["__main__", "templating.rendering.pdf_convert"])
_START_TAG = re.compile(r"<[A-Za-z]")
_ADVICE = "Shorten it (fewer pages, rows or tables) or split it into several letters."
#: How long a child that has answered may take to exit before it is killed.
_EXIT_SECONDS = 5.0


def pdf_size_check(html: str) -> None:
    """Refuse (422) HTML longer than the letter limits, before any rendering."""
    max_chars = settings.PDF_MAX_HTML_CHARS
    if len(html) > max_chars:
        raise TemplateRenderError(
            f"The letter is too long to render as a PDF: its HTML has {len(html):,} characters, "
            f"more than the {max_chars:,} allowed. {_ADVICE}"
        )
    max_elements = settings.PDF_MAX_ELEMENTS
    for elements, _tag in enumerate(_START_TAG.finditer(html), start=1):
        if elements > max_elements:
            raise TemplateRenderError(
                f"The letter is too long to render as a PDF: its HTML has more than "
                f"{max_elements:,} elements (tags), the most allowed. {_ADVICE}"
            )


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (letter pages, no resource outside the bundled assets).
    Raises TemplateRenderError (422) when the HTML is over the size limits, when the render
    does not finish within ``PDF_RENDER_SECONDS``, or when xhtml2pdf cannot produce it."""
    pdf_size_check(html)
    seconds = float(settings.PDF_RENDER_SECONDS)
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=convert_in_child, args=(html, seconds, sender), daemon=True)
    try:
        process.start()
    except BaseException:
        receiver.close()
        raise
    finally:
        sender.close()  # the child's end: ours closed, so its exit is our EOF
    # The clock starts once the child exists: starting the forkserver (the first PDF of a
    # process) is not the document's time.
    started = time.monotonic()
    answer: tuple | None = None
    try:
        if receiver.poll(seconds):
            try:
                answer = receiver.recv()
            except EOFError:
                answer = None  # the child died without answering
        else:
            answer = ("timeout",)
    finally:
        receiver.close()
        if answer is not None and answer[0] != "timeout":
            process.join(_EXIT_SECONDS)
        if process.is_alive():
            _kill(process.pid)
        process.join()
        exitcode = process.exitcode
        process.close()
    if answer is None:
        logger.warning("the PDF render process ended without an answer (exit code %s)", exitcode)
        raise TemplateRenderError(FAILED)
    if answer[0] == "pdf":
        return answer[1]
    if answer[0] == "timeout" or answer[2]:
        logger.info("a PDF render was stopped after %.2f s", time.monotonic() - started)
        raise TemplateRenderError(
            f"The letter took too long to render as a PDF: it was stopped after {seconds:g} "
            f"seconds. {_ADVICE}"
        )
    raise TemplateRenderError(answer[1])


def _kill(pid: int) -> None:
    """SIGKILL: xhtml2pdf holds no resource worth a clean exit, and a render stuck in one
    long element would not notice a SIGTERM handler's flag (billiard's processes have no
    ``kill()``)."""
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.kill(pid, signal.SIGKILL)
