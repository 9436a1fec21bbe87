"""Path templating: `/users/123/orders/9f1c…` becomes `/users/{userId}/orders/{orderId}`.

Segments that look like identifiers (integers, UUIDs, ObjectIds, hashes, dates, emails, mixed
letters and digits, encoded text) are parameters at once. Plain words are static unless the
traffic proves otherwise: many distinct words at one position, each seen rarely, under the same
parent. A static sibling such as `/users/me` is never merged into `/users/{id}`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

_INT = re.compile(r"^-?\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{24}|[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-f]{12,})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_EMAIL = re.compile(r"^[^@/\s]+@[^@/\s]+\.[a-zA-Z]{2,}$")
_VERSION = re.compile(r"^v\d+(?:\.\d+)*(?:(?:alpha|beta)\d*)?$", re.IGNORECASE)
_WORD = re.compile(r"^[A-Za-z][a-z]*(?:[-_][a-z]+)*$|^[a-z]+(?:[A-Z][a-z]+)*$|^\$?[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*$")
_FILE = re.compile(r"^[\w-]+\.(?:json|xml|csv|txt|html|yaml|yml|pdf|png|jpg|zip)$", re.IGNORECASE)

# How many distinct plain words under one parent, each seen at most this rarely, make a parameter.
MIN_DISTINCT_WORDS = 8
MAX_SHARE_PER_WORD = 0.34


def segment_kind(seg: str) -> str:
    """param kinds: int, uuid, objectid/hash, date, email, mixed, text; or "static" / "version"."""
    s = unquote(seg)
    if _INT.match(s):
        return "int"
    if _UUID.match(s):
        return "uuid"
    if _HEX.match(s) and any(c.isdigit() for c in s):
        return "hash"
    if _DATE.match(s):
        return "date"
    if _EMAIL.match(s):
        return "email"
    if _VERSION.match(s):
        return "version"
    if _FILE.match(s):
        return "static"
    if _WORD.match(s) and len(s) <= 40 and not (any(c.isdigit() for c in s) and sum(c.isdigit() for c in s) > 3):
        return "static"
    if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
        return "mixed"
    return "text"


def singular(word: str) -> str:
    w = word.lower().replace("-", "_")
    w = re.sub(r"[^a-z0-9_]", "", w)
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("ses") or w.endswith("xes"):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def param_name(parent: str | None, used: set[str]) -> str:
    if parent and parent not in ("{}",) and not _VERSION.match(parent):
        base = singular(parent)
        parts = base.split("_")
        name = parts[0] + "".join(p.title() for p in parts[1:]) + "Id"
    else:
        name = "id"
    out, n = name, 2
    while out in used:
        out, n = f"{name}{n}", n + 1
    return out


@dataclass
class _Node:
    count: int = 0
    children: dict[str, _Node] = field(default_factory=dict)
    words_are_params: bool = False  # plain-word children are values of one parameter


def _split(path: str) -> list[str]:
    return [s for s in path.split("/") if s != ""]


class Templater:
    """Learns templates from all observed paths at once, then maps each path to its template."""

    def __init__(self, paths: list[str], known: list[str] | None = None) -> None:
        self.root = _Node()
        for p in paths:
            node = self.root
            node.count += 1
            for seg in _split(p):
                node = node.children.setdefault(seg, _Node())
                node.count += 1
        # Templates from a spec anchor the decision: their static segments stay static.
        # Most static segments first, so `/users/me` wins over `/users/{id}`.
        self.known = sorted(((_split(t), t) for t in (known or [])),
                            key=lambda kt: -sum(not k.startswith("{") for k in kt[0]))
        self._decide(self.root)

    def _decide(self, node: _Node) -> None:
        kids = node.children
        if kids:
            kinds = {seg: segment_kind(seg) for seg in kids}
            words = [s for s, k in kinds.items() if k == "static"]
            total = sum(kids[s].count for s in words) or 1
            many_rare_words = (len(words) >= MIN_DISTINCT_WORDS and
                               max((kids[s].count for s in words), default=0) / total <= MAX_SHARE_PER_WORD)
            node.words_are_params = many_rare_words
        for child in kids.values():
            self._decide(child)

    def template(self, path: str) -> str:
        segs = _split(path)
        for ksegs, t in self.known:
            if len(ksegs) == len(segs) and all(k.startswith("{") or k == s for k, s in zip(ksegs, segs, strict=True)):
                return t
        out: list[str] = []
        used: set[str] = set()
        node = self.root
        prev: str | None = None
        for seg in segs:
            kind = segment_kind(seg)
            is_param = kind not in ("static", "version") or (
                node.words_are_params and kind == "static")
            if is_param:
                name = param_name(prev, used)
                used.add(name)
                out.append("{" + name + "}")
            else:
                out.append(seg)
                prev = seg
            node = node.children.get(seg, _Node())
        return "/" + "/".join(out)
