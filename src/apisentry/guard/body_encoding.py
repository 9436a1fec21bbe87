"""Request bodies sent compressed (`Content-Encoding: gzip`). Servers and frameworks that honour it
(Apache's DEFLATE input filter, ASP.NET Core's request decompression, Go and Java handlers,
Elasticsearch) read what the guard would otherwise see as bytes: an attack gzipped past the
detectors. The guard reads the body as the application will, within the body size limit."""

from __future__ import annotations

import zlib
from dataclasses import replace

from apisentry.guard.model import Detection, HttpRequest

# zlib's window bits: 16 + 15 reads gzip, 15 zlib-wrapped deflate, -15 raw deflate.
_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


def _problem(score: int, evidence: str, message: str, category: str = "API8:2023", cwe: str = "CWE-20") -> Detection:
    return Detection("body", category, cwe, "body", evidence[:120], score, message)


def decoded_body(req: HttpRequest, limit: int) -> tuple[HttpRequest, Detection | None]:
    """The request with its body decompressed, and what kept the guard from reading it, if anything:
    an encoding it does not know (noted), a body that is not what its encoding says, or one that
    decompresses past `limit` bytes (a decompression bomb); those two score the block threshold."""
    encoding = req.header("content-encoding")
    if not req.body or encoding is None or encoding.strip().lower() in ("", "identity"):
        return req, None
    body = req.body
    # Several codings apply in the order listed: undo them from the last.
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding == "identity":
            continue
        wbits = _WBITS.get(coding)
        if wbits is None:
            return req, _problem(2, coding, f"body in an encoding the guard does not read ({coding}): not inspected")
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(body, limit + 1)
            if coding == "deflate" and not out and not d.eof:
                raise zlib.error("not zlib")
        except zlib.error:
            if coding != "deflate":
                return req, _problem(5, coding, f"body is not the {coding} its Content-Encoding says")
            try:  # servers send raw deflate under this name as often as zlib's
                d = zlib.decompressobj(-15)
                out = d.decompress(body, limit + 1)
            except zlib.error:
                return req, _problem(5, coding, "body is not the deflate its Content-Encoding says")
        if len(out) > limit or d.unconsumed_tail:
            return req, _problem(5, f"{len(body)} bytes", f"body decompresses to more than {limit} bytes",
                                 "API4:2023", "CWE-409")
        body = out
    return replace(req, body=body, headers=[(k, v) for k, v in req.headers if k.lower() != "content-encoding"]), None
