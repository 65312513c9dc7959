"""PDF output: letter pages, and no network or file access outside the bundled assets."""

from __future__ import annotations

import builtins
import io
import mimetypes
import os
import socket
import tempfile
from pathlib import Path

import pypdf
import pytest

from templating.rendering.pdf import ASSETS_DIR, html_to_pdf, link_callback
from templating.rendering.pdf_convert import FAILED, ConversionError, convert

HOSTILE = """<html><head>
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="stylesheet" href="http://127.0.0.1:9/style.css">
<style>@import url("http://127.0.0.1:9/import.css");
@font-face { font-family: Evil; src: url("http://127.0.0.1:9/font.ttf"); }
body { background-image: url("/etc/hostname"); }</style>
</head><body>
<h1>Notice</h1>
<img src="http://127.0.0.1:9/x.png">
<img src="https://169.254.169.254/latest/meta-data/">
<img src="//127.0.0.1:9/y.png">
<img src="/etc/passwd">
<img src="../../../../etc/passwd">
<img src="file:///etc/shadow">
<pdf:barcode value="1"/>
<p>Body text</p>
</body></html>"""


def test_pdf_fetches_nothing_and_reads_no_file_outside_the_assets(monkeypatch):
    mimetypes.init()  # the library's own /etc/mime.types, read once per process
    attempts: list[object] = []

    def no_network(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)

    opened: list[str] = []
    real_open = builtins.open
    real_io_open = io.open
    real_os_open = os.open

    def record(path: object) -> None:
        if isinstance(path, (str, Path)):
            opened.append(str(Path(path).resolve()))

    def spy_open(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        record(file)
        return real_open(file, *args, **kwargs)

    def spy_io_open(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        record(file)
        return real_io_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        record(path)
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_io_open)
    monkeypatch.setattr(os, "open", spy_os_open)

    # In this process (the code the render process runs), so the spies see what it does.
    pdf = convert(HOSTILE, 20)

    assert pdf.startswith(b"%PDF")
    assert attempts == []
    assert not [p for p in opened if p.startswith(("/etc/", "/proc/"))], opened
    allowed = (str(ASSETS_DIR.resolve()), tempfile.gettempdir(), "/usr/lib", "/usr/share")
    site = str(Path(pypdf.__file__).resolve().parent.parent)
    outside = [p for p in opened if not p.startswith((*allowed, site))]
    assert outside == []


def test_pdf_is_letter_sized_with_the_text():
    pdf = html_to_pdf("<html><body><h1>Hello</h1><p>World</p></body></html>")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (612.0, 792.0)  # 8.5 x 11 in
    assert "Hello" in reader.pages[0].extract_text()


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/a.png",
        "https://example.com/a.png",
        "file:///etc/passwd",
        "//example.com/a.png",
        "/etc/passwd",
        "../../settings.py",
        "assets/../../models.py",
        "ftp://example.com/x",
    ],
)
def test_link_callback_refuses_everything_but_assets(uri):
    target = Path(link_callback(uri, None))
    assert target.resolve().parent == ASSETS_DIR.resolve()
    assert not target.exists()


def test_link_callback_keeps_data_uris_and_assets():
    assert link_callback("data:image/png;base64,AAAA", None) == "data:image/png;base64,AAAA"
    readme = ASSETS_DIR / "README.md"
    assert link_callback("assets/README.md", None) == str(readme.resolve())
    assert link_callback("README.md", None) == str(readme.resolve())


def test_pdf_failure_is_a_clean_422(monkeypatch):
    from xhtml2pdf import pisa

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("/secret/path exploded")

    monkeypatch.setattr(pisa, "pisaDocument", broken)
    with pytest.raises(ConversionError) as raised:
        convert("<p>x</p>", 20)
    assert raised.value.message == FAILED == "The PDF could not be produced from the rendered HTML."
    assert raised.value.timed_out is False


def test_the_hostile_document_renders_through_the_render_process_too():
    assert html_to_pdf(HOSTILE).startswith(b"%PDF")


def test_a_documents_own_page_rule_is_kept():
    pdf = html_to_pdf(
        "<html><head><style>@page { size: a4; margin: 1cm; @frame footer { -pdf-frame-content: f; "
        "left: 1cm; width: 10cm; top: 27cm; height: 1cm; } }</style></head>"
        '<body><p>Body</p><div id="f">Running footer</div></body></html>'
    )
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
    assert "Running footer" in page.extract_text()
