"""What the guard reads and what it answers: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class HttpRequest:
    """One request as the guard sees it. `path` and `query` are raw (still percent-encoded):
    decoding is the guard's job, because attackers hide in how things are encoded."""

    method: str
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    client: str | None = None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None


@dataclass(slots=True)
class Detection:
    detector: str  # e.g. "sqli", "schema", "jwt"
    category: str  # OWASP API Security Top 10 2023 id, e.g. "API7:2023"
    cwe: str  # e.g. "CWE-89"
    location: str  # e.g. "query.id", "header.User-Agent", "body$.items[2].name"
    evidence: str  # what matched, shortened; never a secret
    score: int  # how much this adds to the request's anomaly score
    message: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"detector": self.detector, "category": self.category, "cwe": self.cwe,
                "location": self.location, "evidence": self.evidence, "score": self.score,
                "message": self.message}


@dataclass(slots=True)
class Verdict:
    action: str  # "allow" | "block"
    score: int
    detections: list[Detection]
    request_id: str
    identity: str | None = None  # JWT sub, API key id or basic-auth user
    would_block: bool = False  # in monitor mode: what block mode would have done
    route: str | None = None  # the matched route template, when a spec is loaded
    fault: str | None = None  # the guard itself failed; the action follows the fail policy

    def to_dict(self) -> dict[str, object]:
        return {"action": self.action, "score": self.score, "would_block": self.would_block,
                "request_id": self.request_id, "identity": self.identity, "route": self.route,
                "fault": self.fault, "detections": [d.to_dict() for d in self.detections]}
