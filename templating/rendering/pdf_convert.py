"""HTML → PDF with xhtml2pdf, with no network and no file access outside bundled assets.

This is the code that runs inside the render process of :mod:`templating.rendering.pdf`
(which bounds its size and time and kills it when it overruns); it imports neither
Django nor the rest of the app, so the process that runs it starts small and owns nothing
of a web worker (no database connection, no open request).

Two gates on what a document may read, because either alone has gaps:

- xhtml2pdf 0.2.28's resource policy (``ResourceAccessPolicy``), enforced inside its
  fetcher on every path (images, stylesheets, ``@font-face``, ``@import``, backgrounds,
  ``<pdf:*>`` tags). Its *default* still fetches public http(s) URLs (after resolving the
  host name to refuse internal addresses) and reads files under the working directory;
  we pass ``allow_remote=False`` and confine local reads to ``templating/defaults/assets/``
  (``base_dir``), with the "server" limits on (document size, nesting depth, render time).
- a ``link_callback`` that rewrites every URL before the fetcher sees it: ``data:`` URIs
  stay, a relative name of a file in the assets directory becomes its path, anything else
  (any scheme, any host, any absolute or escaping path) is pointed at a name inside the
  assets directory that does not exist, so the resource is simply missing.

Pages are US letter with 0.75in margins unless the document has an ``@page`` rule of its
own (xhtml2pdf lets a later ``@page`` replace an earlier one whole, frames included, so the
default is added only to documents without one); text uses the PDF base fonts
(Helvetica, Times, Courier), so no font file is needed.
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from xhtml2pdf import pisa
from xhtml2pdf.config.resources import RenderLimitError, ResourceAccessPolicy
from xhtml2pdf.default import DEFAULT_CSS

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent.parent / "defaults" / "assets"
#: Where a refused resource is pointed: inside the assets directory, never a file.
BLOCKED = ASSETS_DIR / ".blocked-resource"
PAGE_CSS = "\n@page { size: letter; margin: 0.75in; }\n"
_OWN_PAGE_RULE = re.compile(r"@page\b", re.IGNORECASE)
#: The render process's niceness (0 normal, 19 lowest priority).
NICENESS = 10
#: What :func:`convert` says when xhtml2pdf fails for a reason of its own.
FAILED = "The PDF could not be produced from the rendered HTML."


class ConversionError(Exception):
    """xhtml2pdf could not produce the PDF. ``timed_out``: it ran out of its time."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.timed_out = timed_out


def resource_policy(seconds: float) -> ResourceAccessPolicy:
    return ResourceAccessPolicy.server(
        base_dir=ASSETS_DIR,
        allow_remote=False,
        allow_private_networks=False,
        max_render_seconds=seconds,
    )


def link_callback(uri: object, rel: object = None) -> str:
    """Map a URL of the document to what may be read: ``data:`` URIs and assets only."""
    if not isinstance(uri, str):
        return str(BLOCKED)
    if uri.startswith("data:"):
        return uri
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc or not parts.path:
        return str(BLOCKED)
    name = parts.path.removeprefix("assets/")
    root = ASSETS_DIR.resolve()
    try:
        path = (root / name).resolve()
    except (OSError, ValueError):
        return str(BLOCKED)
    if path.is_relative_to(root) and path.is_file():
        return str(path)
    return str(BLOCKED)


def convert(html: str, seconds: float) -> bytes:
    """The PDF of an HTML document (letter pages), in this process. xhtml2pdf checks its
    own clock between elements and stops after ``seconds`` (a soft stop: the caller's
    process deadline is the hard one). Raises :class:`ConversionError`."""
    out = io.BytesIO()
    started = time.monotonic()
    try:
        result = pisa.pisaDocument(
            html,
            dest=out,
            path=str(ASSETS_DIR / "document.html"),
            link_callback=link_callback,
            default_css=DEFAULT_CSS if _OWN_PAGE_RULE.search(html) else DEFAULT_CSS + PAGE_CSS,
            encoding="utf-8",
            resource_policy=resource_policy(seconds),
        )
    except RenderLimitError as error:
        timed_out = time.monotonic() - started >= seconds
        raise ConversionError(f"The PDF could not be produced: {error}.", timed_out=timed_out) from None
    except Exception:  # noqa: BLE001 - xhtml2pdf's internals are not the caller's business
        logger.warning("xhtml2pdf failed", exc_info=True)
        raise ConversionError(FAILED) from None
    if result.err:
        raise ConversionError(FAILED)
    return out.getvalue()


def convert_in_child(html: str, seconds: float, connection: Any) -> None:
    """The render process's body: convert and send ``("pdf", bytes)`` or
    ``("error", message, timed_out)`` back to the parent over ``connection`` (the
    sending end of a pipe)."""
    # A letter is not interactive: on a busy machine the requests of every company come
    # first, and the renders take what CPU is left (bench/pdf_fairness.py).
    os.nice(NICENESS)
    try:
        answer: tuple = ("pdf", convert(html, seconds))
    except ConversionError as error:
        answer = ("error", error.message, error.timed_out)
    try:
        connection.send(answer)
    except OSError:
        pass  # the parent stopped waiting (its deadline): nobody to answer
    finally:
        connection.close()
