"""The inventory: every endpoint seen in traffic, with its parameters, status codes, callers, timing,
authentication and the sensitive data it receives and returns; compared with the specs, and the
problems as findings with their OWASP API Top 10 category."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from apisentry.api.sensitive import types_in
from apisentry.api.templating import Templater
from apisentry.api.traffic import Observation
from apisentry.guard.spec import Spec, load_spec

_VERSION_SEG = re.compile(r"^v(\d+)$", re.IGNORECASE)


_FORMATS = [("uuid", re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)),
            ("date-time", re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")), ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
            ("email", re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)), ("uri", re.compile(r"^https?://")),
            ("ipv4", re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$"))]


def format_of(v: str) -> str | None:
    return next((name for name, rx in _FORMATS if rx.match(v)), None)


def value_type(v: str) -> str:
    if re.fullmatch(r"-?\d+", v):
        return "integer"
    if re.fullmatch(r"-?\d+\.\d+", v):
        return "number"
    if v.lower() in ("true", "false"):
        return "boolean"
    return "string"


@dataclass
class Endpoint:
    method: str
    path: str
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # "query.x" -> {"in", "type", "seen"}
    auth: Counter[str] = field(default_factory=Counter)
    identities: Counter[str] = field(default_factory=Counter)
    clients: Counter[str] = field(default_factory=Counter)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    received: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    in_spec: bool | None = None
    deprecated: bool = False
    spec_params: set[str] = field(default_factory=set)
    samples: list[Any] = field(default_factory=list)  # request bodies, for the reconstructed schema
    response_samples: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        span = (self.last_seen - self.first_seen).total_seconds() if self.first_seen and self.last_seen else 0
        return {
            "method": self.method, "path": self.path,
            "params": [{"name": k.split(".", 1)[1], **v} for k, v in sorted(self.params.items())],
            "auth": sorted(self.auth), "status_codes": {str(k): n for k, n in sorted(self.statuses.items())},
            "sensitive": {"receives": sorted(self.received), "returns": sorted(self.returned)},
            "calls": self.calls, "callers": {"identities": [i for i, _ in self.identities.most_common(10)],
                                             "clients": [c for c, _ in self.clients.most_common(10)]},
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "rate_per_min": round(self.calls / (span / 60), 2) if span > 0 else None,
            "in_spec": self.in_spec, "deprecated": self.deprecated,
        }


def _param(ep: Endpoint, where: str, name: str, value: Any) -> None:
    key = f"{where}.{name}"
    t = value_type(value) if isinstance(value, str) else "object" if isinstance(value, dict) else \
        "array" if isinstance(value, list) else "boolean" if isinstance(value, bool) else \
        "integer" if isinstance(value, int) else "number" if isinstance(value, float) else "string"
    fmt = format_of(value) if isinstance(value, str) and value else None
    cur = ep.params.get(key)
    if cur is None:
        ep.params[key] = {"in": where, "type": t, "format": fmt, "seen": 1}
    else:
        cur["seen"] += 1
        if cur["type"] != t:
            cur["type"] = "number" if {cur["type"], t} == {"integer", "number"} else "string"
        if cur["format"] != fmt:
            cur["format"] = None  # a format holds only if every value had it


def build(observations: list[Observation], specs: list[Spec] | None = None) -> dict[str, Any]:
    specs = specs or []
    known = [op.template if base == "" else base + op.template for s in specs for op in s.operations for base in s.base_paths]
    templ = Templater([o.path for o in observations if o.route is None], known)
    eps: dict[tuple[str, str], Endpoint] = {}
    for o in observations:
        path = o.route or templ.template(o.path)
        ep = eps.get((o.method, path))
        if ep is None:
            ep = eps[(o.method, path)] = Endpoint(o.method, path)
            # A gateway's path has the stage in front (`/prod/pets/12`); its route, like a spec, has not.
            match = _spec_match(specs, o.method, o.path) or (o.route and _spec_match(specs, o.method, o.route))
            if specs:
                ep.in_spec = match is not None
                if match:
                    ep.deprecated = match.deprecated
                    ep.spec_params = {f"{p.where}.{p.name}" for p in match.params}
        n = o.count
        ep.calls += n
        if o.status is not None:
            ep.statuses[o.status] += n
        ep.auth[o.auth] += n
        if o.identity:
            ep.identities[o.identity] += n
        for c in o.clients or ([o.client] if o.client else []):
            ep.clients[c] += n
        if o.time:
            last = o.time_last or o.time
            ep.first_seen = min(ep.first_seen, o.time) if ep.first_seen else o.time
            ep.last_seen = max(ep.last_seen, last) if ep.last_seen else last
        for k, v in o.query:
            _param(ep, "query", k, v)
        for k, v in o.headers:
            _param(ep, "header", k, v)
        if isinstance(o.body, dict):
            for k, v in o.body.items():
                _param(ep, "body", str(k), v)
            if len(ep.samples) < 50:
                ep.samples.append(o.body)
        if o.body is not None:
            ep.received |= types_in(o.body)
        if o.query:
            ep.received |= types_in(dict(o.query))
        if o.response is not None:
            ep.returned |= types_in(o.response)
            if len(ep.response_samples) < 50:
                ep.response_samples.append(o.response)
    endpoints = sorted(eps.values(), key=lambda e: (e.path, e.method))
    findings = _findings(endpoints, specs)
    return {"endpoints": endpoints, "findings": findings}


def _spec_match(specs: list[Spec], method: str, path: str) -> Any:
    for s in specs:
        op, _known = s.match(method, path)
        if op is not None:
            return op
    return None


def _finding(ep: Endpoint | None, kind: str, title: str, severity: str, category: str, detail: str,
             method: str | None = None, path: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "title": title, "severity": severity, "category": category,
            "method": method or (ep.method if ep else None), "path": path or (ep.path if ep else None), "detail": detail}


def _findings(endpoints: list[Endpoint], specs: list[Spec]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ep in endpoints:
        ok = sum(n for s, n in ep.statuses.items() if 200 <= s < 300)
        unauth = ep.auth.get("none", 0) > 0 and len(ep.auth) == 1
        sensitive = ep.returned - {"address"} if ep.returned else set()
        if ok and unauth and sensitive:
            out.append(_finding(ep, "unauthenticated_sensitive", "Answers without authentication and returns sensitive data",
                                "critical", "API2:2023", f"returns {', '.join(sorted(sensitive))} to callers without credentials"))
        elif ok and unauth and ep.method != "OPTIONS":
            out.append(_finding(ep, "unauthenticated", "Answers without authentication", "medium", "API2:2023",
                                f"{ok} successful call(s) without credentials"))
        if {"secret", "cloud_key", "private_key", "token"} & ep.returned:
            out.append(_finding(ep, "secret_in_response", "Returns secrets", "high", "API3:2023",
                                f"responses carry {', '.join(sorted({'secret', 'cloud_key', 'private_key', 'token'} & ep.returned))}"))
        if specs and ep.in_spec is False:
            out.append(_finding(ep, "shadow", "Endpoint not in any spec (shadow API)", "high", "API9:2023",
                                f"{ep.calls} call(s)"))
        if ep.deprecated:
            out.append(_finding(ep, "zombie", "Deprecated operation still called (zombie API)", "medium", "API9:2023",
                                f"{ep.calls} call(s) to an operation the spec marks deprecated"))
        if specs and ep.in_spec:
            extra = sorted(k.split(".", 1)[1] for k in ep.params if k.startswith("query.") and k not in ep.spec_params)
            if extra:
                out.append(_finding(ep, "undocumented_parameter", "Undocumented parameters", "low", "API9:2023",
                                    f"query parameters not in the spec: {', '.join(extra)}"))
    # Older API versions still answering next to newer ones.
    versions: dict[str, set[int]] = defaultdict(set)
    for ep in endpoints:
        for seg in ep.path.split("/"):
            m = _VERSION_SEG.match(seg)
            if m:
                versions[ep.path.split(seg, 1)[0]].add(int(m.group(1)))
    for prefix, vs in versions.items():
        if len(vs) > 1:
            newest = max(vs)
            for ep in endpoints:
                for v in vs - {newest}:
                    if ep.path.startswith(f"{prefix}v{v}/") and any(200 <= s < 300 for s in ep.statuses):
                        out.append(_finding(ep, "zombie", f"Old API version v{v} still answers", "medium", "API9:2023",
                                            f"v{newest} exists"))
    for s in specs:
        called = {(e.method, e.path) for e in endpoints}
        for op in s.operations:
            if not any(m == op.method and _same_template(p, op.template, s.base_paths) for m, p in called):
                out.append(_finding(None, "orphan", "Documented operation never called", "info", "API9:2023",
                                    f"in {s.title or 'the spec'}", op.method, op.template))
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    out.sort(key=lambda f: (order[f["severity"]], f["path"] or "", f["method"] or ""))
    return out


def _norm(t: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", t.rstrip("/")) or "/"


def _same_template(observed: str, spec_template: str, bases: list[str]) -> bool:
    o = _norm(observed)
    return any(o == _norm(b + spec_template) for b in bases)


def load_specs(paths: list[str]) -> list[Spec]:
    return [load_spec(Path(p)) for p in paths]
