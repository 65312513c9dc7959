"""Test providers for the dispatch tests.

- :class:`ScriptedProvider`: answers from a script (``"accepted"``, ``"delivered"`` or an
  exception class) and records every call, in this process. It can also answer
  ``lookup`` (the optional reconciliation capability of a provider).
- :class:`BulkScriptedProvider`: the same, taking batches in one request (``send_many``).
- :class:`FakeHttpApi` + :class:`HttpEmailProvider`: a provider that makes a real HTTP
  request with ``requests`` to a local ``http.server`` fake, which records what it
  received and answers from its own script (a status code, or "hang up after reading").
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import requests

from providers.base import (
    AmbiguousProviderError,
    OutgoingMessage,
    Provider,
    ProviderError,
    RejectedProviderError,
    SendResult,
    TransientProviderError,
)


class ScriptedProvider(Provider):
    name = "scripted"
    channels = ("email", "text", "voice", "mail", "chat", "gui")

    script: ClassVar[deque[Any]] = deque()
    calls: ClassVar[list[OutgoingMessage]] = []
    lock = threading.Lock()
    #: reference → answer of ``lookup``: a SendResult, None (never received) or an exception.
    lookups: ClassVar[dict[str, Any]] = {}
    #: called inside ``send`` (e.g. to change the row while the provider "runs").
    during_send: ClassVar[Any] = None

    @classmethod
    def reset(cls, *steps: Any) -> None:
        cls.script = deque(steps)
        cls.calls = []
        cls.lookups = {}
        cls.during_send = None

    def send(self, message: OutgoingMessage) -> SendResult:
        with self.lock:
            self.calls.append(message)
            step = self.script.popleft() if self.script else "accepted"
        hook = type(self).during_send  # a plain function, not bound to the instance
        if hook is not None:
            hook(message)
        if isinstance(step, type) and issubclass(step, Exception):
            raise step(f"scripted {step.__name__}", provider=self.name, code="X1")
        if isinstance(step, float):  # seconds to take
            time.sleep(step)
            step = "accepted"
        return SendResult(provider=self.name, provider_message_id=f"scripted-{uuid.uuid4().hex}", state=step)

    def lookup(self, reference: str) -> SendResult | None:
        answer = self.lookups.get(reference)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeHttpApi:
    """A local HTTP API: ``POST /send`` with a JSON body. Each request pops the next
    answer from ``script``: an int status code, or ``("hang", seconds)`` to read the
    request, then wait before answering 202 (a timeout after the request was received).
    With the script empty it answers 202. Every request received is kept in ``requests``."""

    def __init__(self, *script: Any) -> None:
        self.script: deque[Any] = deque(script)
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[str] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                with api._lock:
                    api.requests.append(body)
                    step = api.script.popleft() if api.script else 202
                if isinstance(step, tuple) and step[0] == "hang":
                    time.sleep(step[1])
                    step = 202
                payload: dict[str, Any] = {}
                if step == 202:
                    message_id = f"fake-{uuid.uuid4().hex}"
                    with api._lock:
                        api.accepted.append(body["reference"])
                    payload = {"id": message_id}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(step)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHttpApi:
        self._thread.start()
        HttpEmailProvider.url = self.url
        return self

    def __exit__(self, *exc: object) -> None:
        HttpEmailProvider.url = ""
        self.server.shutdown()
        self.server.server_close()


class HttpEmailProvider(Provider):
    """An email provider speaking to :class:`FakeHttpApi`, mapping the wire to the error
    family as a real adapter does: refused connection, 429 and 5xx → transient; other 4xx
    → rejected; a read timeout after the request was sent → ambiguous."""

    name = "fakehttp"
    channels = ("email",)
    #: where the fake listens: set by FakeHttpApi in this process, FAKE_HTTP_URL in a worker.
    url: ClassVar[str] = ""
    read_timeout: ClassVar[float] = 0.5

    def send(self, message: OutgoingMessage) -> SendResult:
        from django.conf import settings

        url = type(self).url or settings.FAKE_HTTP_URL
        body = {"reference": message.reference, "to": message.to, "subject": message.subject_line}
        try:
            response = requests.post(url, json=body, timeout=(2.0, self.read_timeout))
        except requests.ConnectionError as error:
            raise TransientProviderError(f"connection failed: {error}", provider=self.name) from error
        except requests.ReadTimeout as error:
            raise AmbiguousProviderError(
                "no answer after the request was sent", provider=self.name
            ) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientProviderError(
                f"HTTP {response.status_code}", provider=self.name, code=str(response.status_code)
            )
        if response.status_code >= 400:
            raise RejectedProviderError(
                f"HTTP {response.status_code}", provider=self.name, code=str(response.status_code)
            )
        return SendResult(provider=self.name, provider_message_id=response.json()["id"])


class BulkScriptedProvider(ScriptedProvider):
    """A :class:`ScriptedProvider` that takes a batch in one all-or-nothing request
    (``sends_in_bulk``), like the outbox: ``send_many`` answers each message from the
    per-message script, or raises ``bulk_error`` (an exception class) for the whole call.
    Each call's references are kept in ``batches``."""

    name = "bulkscripted"
    sends_in_bulk = True
    batches: ClassVar[list[list[str]]] = []
    bulk_error: ClassVar[type[Exception] | None] = None

    @classmethod
    def reset(cls, *steps: Any) -> None:
        super().reset(*steps)
        cls.batches = []
        cls.bulk_error = None

    def send_many(self, messages):  # noqa: ANN001, ANN201
        self.batches.append([message.reference for message in messages])
        if self.bulk_error is not None:
            raise self.bulk_error("scripted bulk failure", provider=self.name, code="B1")
        answers = []
        for message in messages:
            try:
                answers.append(self.send(message))
            except ProviderError as error:
                answers.append(error)
        return answers
