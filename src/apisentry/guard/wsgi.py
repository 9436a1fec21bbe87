"""WSGI middleware: `app.wsgi_app = GuardWSGI(app.wsgi_app, spec="openapi.yaml")` for Flask,
`application = GuardWSGI(get_wsgi_application())` for Django."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from apisentry.guard.asgi import build_guard
from apisentry.guard.config import GuardConfig
from apisentry.guard.core import Guard
from apisentry.guard.events import CallRecord
from apisentry.guard.model import HttpRequest
from apisentry.guard.problem import CONTENT_TYPE, STATUS, problem_body
from apisentry.guard.sink import Sink
from apisentry.guard.spec import Spec

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for k, v in environ.items():
        if k.startswith("HTTP_"):
            out.append((k[5:].replace("_", "-").title(), str(v)))
    if environ.get("CONTENT_TYPE"):
        out.append(("Content-Type", environ["CONTENT_TYPE"]))
    if environ.get("CONTENT_LENGTH"):
        out.append(("Content-Length", environ["CONTENT_LENGTH"]))
    return out


class GuardWSGI:
    def __init__(self, app: WSGIApp, *, guard: Guard | None = None, spec: Spec | str | Path | None = None,
                 config: GuardConfig | None = None, policy: str | Path | None = None, mode: str | None = None,
                 sink: Sink | None = None) -> None:
        self.app = app
        self.guard = build_guard(guard, spec, config, policy, mode)
        self.sink = sink

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        limit = self.guard.config.max_body_bytes
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        body = stream.read(min(length, limit + 1)) if stream is not None and length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        path = path.split("?", 1)[0]
        if "RAW_URI" not in environ and "REQUEST_URI" not in environ:
            # PATH_INFO arrives decoded as latin-1 text; encode it back so the guard sees the bytes.
            from urllib.parse import quote

            path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/"), safe="/;=@:+$,!*'()~")
        req = HttpRequest(environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""),
                          _headers(environ), body, environ.get("REMOTE_ADDR"))
        verdict = self.guard.inspect(req)
        if verdict.action == "block":
            payload = problem_body(verdict, path)
            start_response(f"{STATUS} Forbidden", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(payload))),
                                                   ("X-Request-Id", verdict.request_id)])
            self._log(req, verdict, STATUS, started)
            return [payload]
        status = [500]

        def capture(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            headers = [*headers, ("X-Request-Id", verdict.request_id)]
            return start_response(status_line, headers, exc_info) if exc_info else start_response(status_line, headers)

        try:
            return self.app(environ, capture)
        finally:
            self._log(req, verdict, status[0], started)

    def _log(self, req: HttpRequest, verdict: Any, status: int, started: float) -> None:
        if self.sink is not None:
            self.sink.emit(CallRecord(req, verdict, status, (time.perf_counter() - started) * 1000, time.time()))
