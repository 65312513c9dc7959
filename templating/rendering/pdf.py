"""HTML → PDF with xhtml2pdf, with no network and no file access outside bundled assets.

Two gates, because either alone has gaps:

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
(Helvetica, Times, Courier), so no font file is needed. The same function renders
``mail`` letters.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from xhtml2pdf import pisa
from xhtml2pdf.config.resources import RenderLimitError, ResourceAccessPolicy
from xhtml2pdf.default import DEFAULT_CSS

from templating.rendering.environment import DEFAULTS_DIR
from templating.rendering.render import TemplateRenderError

logger = logging.getLogger(__name__)

ASSETS_DIR = DEFAULTS_DIR / "assets"
#: Where a refused resource is pointed: inside the assets directory, never a file.
BLOCKED = ASSETS_DIR / ".blocked-resource"
PDF_SECONDS = 20
PAGE_CSS = "\n@page { size: letter; margin: 0.75in; }\n"
_OWN_PAGE_RULE = re.compile(r"@page\b", re.IGNORECASE)


def resource_policy() -> ResourceAccessPolicy:
    return ResourceAccessPolicy.server(
        base_dir=ASSETS_DIR,
        allow_remote=False,
        allow_private_networks=False,
        max_render_seconds=PDF_SECONDS,
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


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (letter pages). Raises TemplateRenderError (422) when
    xhtml2pdf cannot produce it."""
    out = io.BytesIO()
    try:
        result = pisa.pisaDocument(
            html,
            dest=out,
            path=str(Path(ASSETS_DIR) / "document.html"),
            link_callback=link_callback,
            default_css=DEFAULT_CSS if _OWN_PAGE_RULE.search(html) else DEFAULT_CSS + PAGE_CSS,
            encoding="utf-8",
            resource_policy=resource_policy(),
        )
    except RenderLimitError as error:
        raise TemplateRenderError(f"The PDF could not be produced: {error}.") from None
    except Exception:  # noqa: BLE001 - xhtml2pdf's internals are not the caller's business
        logger.warning("xhtml2pdf failed", exc_info=True)
        raise TemplateRenderError("The PDF could not be produced from the rendered HTML.") from None
    if result.err:
        raise TemplateRenderError("The PDF could not be produced from the rendered HTML.")
    return out.getvalue()
