"""ASGI middleware: `app.add_middleware(GuardMiddleware, spec="openapi.yaml", mode="block")`.

One small pure-ASGI class in the manner of Starlette's own middleware. The body is read before the
app sees it and then replayed to the app unchanged (the guard inspects up to its body limit);
inspection is CPU only and logging goes through a non-blocking sink, so no I/O happens on the
request path."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from apisentry.guard.config import GuardConfig, load_policy
from apisentry.guard.core import Guard
from apisentry.guard.events import CallRecord
from apisentry.guard.model import HttpRequest, Verdict
from apisentry.guard.problem import CONTENT_TYPE, STATUS, problem_body
from apisentry.guard.sink import Sink
from apisentry.guard.spec import Spec

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def build_guard(guard: Guard | None, spec: Spec | str | Path | None, config: GuardConfig | None,
                policy: str | Path | None, mode: str | None) -> Guard:
    if guard is not None:
        return guard
    cfg = config or (load_policy(policy) if policy else GuardConfig())
    if mode is not None:
        cfg.mode = mode
    return Guard(cfg, spec)


class GuardMiddleware:
    def __init__(self, app: ASGIApp, *, guard: Guard | None = None, spec: Spec | str | Path | None = None,
                 config: GuardConfig | None = None, policy: str | Path | None = None, mode: str | None = None,
                 sink: Sink | None = None) -> None:
        self.app = app
        self.guard = build_guard(guard, spec, config, policy, mode)
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        chunks: list[bytes] = []
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        body = b"".join(chunks)  # all of it: in monitor mode the app still gets every byte
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope.get("path", "/")
        client = scope.get("client")
        req = HttpRequest(scope.get("method", "GET"), path.split("?", 1)[0],
                          scope.get("query_string", b"").decode("latin-1"),
                          [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])],
                          body, client[0] if client else None)
        verdict = self.guard.inspect(req)
        if verdict.action == "block":
            await self._problem(send, verdict, path)
            self._log(req, verdict, STATUS, started)
            return
        status = 500
        sent_body = False

        async def replay() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", []).append((b"x-request-id", verdict.request_id.encode()))
            await send(message)

        try:
            await self.app(scope, replay, send_status)
        finally:
            self._log(req, verdict, status, started)

    async def _problem(self, send: Send, verdict: Verdict, path: str) -> None:
        payload = problem_body(verdict, path)
        await send({"type": "http.response.start", "status": STATUS,
                    "headers": [(b"content-type", CONTENT_TYPE.encode()), (b"content-length", str(len(payload)).encode()),
                                (b"x-request-id", verdict.request_id.encode())]})
        await send({"type": "http.response.body", "body": payload})

    def _log(self, req: HttpRequest, verdict: Verdict, status: int, started: float) -> None:
        if self.sink is not None:
            self.sink.emit(CallRecord(req, verdict, status, (time.perf_counter() - started) * 1000, time.time()))
