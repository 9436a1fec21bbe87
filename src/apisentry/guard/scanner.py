"""The negative model: find attack evidence in a request's values.

Hyperscan scans every value (and each decoded spelling) in one pass over one buffer; only the
values it flags are looked at again in Python, where `re` confirms the signature on that value
alone and libinjection tokenizes SQL and HTML. Benign requests, the vast majority, cost one
Hyperscan call and a few cheap checks (measured in bench/guard_perf.py; choice in docs/decisions.md).
"""

from __future__ import annotations

import bisect
import re
import threading

import hyperscan
import libinjection

from apisentry.guard import ssrf
from apisentry.guard.decode import decoded_forms_of_encoded, embedded_b64_texts, has_escapes, may_be_b64_text
from apisentry.guard.locations import Value
from apisentry.guard.model import Detection
from apisentry.guard.signatures import CATEGORY, SIGNATURES, Signature

# MULTILINE: `^` and `$` hold at the newlines around each value in the buffer.
_FLAGS = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE
# Between values: a NUL, which no signature's class of "space" covers, framed by newlines,
# which `.` does not cross. A match that still spans two values is dropped by the `re` check.
_SEP = "\n\x00\n"
_SEP_LEN = len(_SEP)
_LOOKUP = re.compile(r"\$\{(?:lower|upper)\s*:\s*([^${}]*)\}|\$\{[^${}]*?:-([^${}]*)\}", re.IGNORECASE)
_EVIDENCE = 80
_WINDOW = 2048  # characters; longer than any bounded signature's match


def _unwrap_lookups(s: str) -> str:
    """`${${lower:j}ndi:...}` and `${::-j}` spell `${jndi:...}`; Log4j resolves them, so do we."""
    for _ in range(8):
        nxt = _LOOKUP.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), s)
        if nxt == s:
            break
        s = nxt
    return s


class Scanner:
    """Compiled once; `scan` is thread-safe. Hyperscan needs a scratch space per concurrent scan
    (sharing one raises ScratchInUseError), so each thread gets its own."""

    def __init__(self, signatures: tuple[Signature, ...] = SIGNATURES, disabled: frozenset[str] = frozenset()) -> None:
        self.signatures = tuple(s for s in signatures if s.detector not in disabled and s.id not in disabled)
        self.compiled = [re.compile(s.pattern, re.IGNORECASE) for s in self.signatures]
        self.db = hyperscan.Database()
        self.db.compile(expressions=[s.pattern.encode() for s in self.signatures],
                        ids=list(range(len(self.signatures))), elements=len(self.signatures),
                        flags=[_FLAGS] * len(self.signatures))
        self._local = threading.local()
        self.sqli_on = "sqli" not in disabled
        self.xss_on = "xss" not in disabled
        ids = [sig.id for sig in self.signatures]
        self._gate_sqli = ids.index("gate:sqli") if "gate:sqli" in ids else -1
        self._gate_xss = ids.index("gate:xss") if "gate:xss" in ids else -1
        self._gate_ssrf = ids.index("gate:ssrf") if "gate:ssrf" in ids else -1
        self._gate_b64 = ids.index("gate:b64") if "gate:b64" in ids else -1

    def scan(self, values: list[Value]) -> list[Detection]:
        owners = [v for v in values if v.text]
        if not owners:
            return []
        texts = [v.text for v in owners]
        joined = _SEP.join(texts)
        # One look at the whole request tells whether any value has escapes, NULs or lookups to
        # undo; most requests have none, and then only base64 candidates need a closer look.
        special = "${" in joined or has_escapes("\n".join(texts))
        nul = [v for v in owners if "\x00" in v.text] if special else []
        b64 = [may_be_b64_text(t) for t in texts]
        if special or any(b64):
            texts, owners = _decoded(owners, special, b64)
            joined = _SEP.join(texts)
        buf = joined.encode("utf-8", "surrogatepass")
        starts: list[int] = []
        pos = 0
        if len(buf) == len(joined):  # all ASCII: character offsets are byte offsets
            for t in texts:
                starts.append(pos)
                pos += len(t) + _SEP_LEN
        else:
            for t in texts:
                starts.append(pos)
                pos += (len(t) if t.isascii() else len(t.encode("utf-8", "surrogatepass"))) + _SEP_LEN
        # (form index, signature index) -> the buffer offset where its first match ends
        hits: dict[tuple[int, int], int] = {}
        first = hits.setdefault
        bisect_right = bisect.bisect_right

        def on_match(sig: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            first((bisect_right(starts, end - 1) - 1, sig), end)

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self.db)
        self.db.scan(buf, match_event_handler=on_match, scratch=scratch)
        found = self._confirm(texts, owners, starts, hits) if hits else []
        for v in nul:
            category, cwe = CATEGORY["traversal"]
            found.append(Detection("traversal", category, cwe, v.location, _cut(v.text, 0, len(v.text)), 3,
                                   "NUL byte, which truncates file names in C-based code"))
        return found

    def _confirm(self, texts: list[str], owners: list[Value], starts: list[int],
                 hits: dict[tuple[int, int], int]) -> list[Detection]:
        """Per reported (form, signature): the signature on that form alone, or the tokenizer a
        gate asks for. Hyperscan reports every match, so this is the complete set. (Gates match
        single characters or words, which cannot span two values, so they need no re-check.)"""
        best: dict[tuple[str, str, str], Detection] = {}  # (location, detector, signature) -> detection
        for (i, si), end in sorted(hits.items()):
            text = texts[i]
            value = owners[i]
            sig = self.signatures[si]
            if value.xxe_only and sig.detector != "xxe":
                continue
            weight = sig.weight
            if sig.out_of_body_weight and not value.in_body:
                weight = sig.out_of_body_weight
            if weight == 0:
                if si == self._gate_sqli:
                    if self.sqli_on:
                        self._libinjection_sqli(text, value, best)
                elif si == self._gate_xss:
                    if self.xss_on:
                        self._libinjection_xss(text, value, best)
                elif si == self._gate_b64:
                    blobs = embedded_b64_texts(text)
                    if blobs:  # scanned like any value, found where the value is
                        for d in self.scan([value.with_text(b) for b in blobs]):
                            best.setdefault((d.location, d.detector, d.message), d)
                elif si == self._gate_ssrf and not value.is_key:
                    hit = ssrf.classify_anywhere(text)
                    if hit:
                        _add(best, value.location, "ssrf", "ssrf-internal-target", hit[0], _cut(text, 0, len(text)), hit[1])
                continue
            # `re` starts a little before where Hyperscan saw the match end, not at the top of a
            # long value: a megabyte of `{{` would otherwise cost one bounded scan per brace.
            # (`pos` keeps `^`, `\b` and lookbehinds seeing the real text before it.)
            if len(text) <= _WINDOW:
                m = self.compiled[si].search(text)
            else:
                at = _window_start(text, end - starts[i])
                m = self.compiled[si].search(text, at)
                if m is None and at:
                    m = self.compiled[si].search(text)  # a match longer than the window
            if m:
                if sig.id == "sqli-tautology" and m.group(1).lower() == m.group(2).lower():
                    weight = 5  # `or x=x`: always true, the classic bypass
                _add(best, value.location, sig.detector, sig.id, weight, _cut(text, m.start(), m.end()))
        return list(best.values())

    @staticmethod
    def _libinjection_sqli(text: str, value: Value, best: dict[tuple[str, str, str], Detection]) -> None:
        r = libinjection.is_sql_injection(_encodable(text))
        if r["is_sqli"]:
            fp = r["fingerprint"]
            fp = fp.decode() if isinstance(fp, bytes) else str(fp)
            _add(best, value.location, "sqli", "libinjection-sqli", 4, _cut(text, 0, len(text)), f"SQL token pattern {fp}")

    @staticmethod
    def _libinjection_xss(text: str, value: Value, best: dict[tuple[str, str, str], Detection]) -> None:
        if libinjection.is_xss(_encodable(text))["is_xss"]:
            _add(best, value.location, "xss", "libinjection-xss", 4, _cut(text, 0, len(text)), "HTML/JS injection")


def _decoded(values: list[Value], special: bool, b64: list[bool]) -> tuple[list[str], list[Value]]:
    """Each value's spellings (see `decoded_forms`) and, parallel to them, the value each came from.
    `b64[i]`: whether value i may be base64 of text."""
    texts: list[str] = []
    owners: list[Value] = []
    for v, maybe_b64 in zip(values, b64, strict=True):
        t = v.text
        if maybe_b64 or (special and has_escapes(t)):
            for text in decoded_forms_of_encoded(t, v.form):
                texts.append(_unwrap_lookups(text) if "${" in text else text)
                owners.append(v)
        else:
            texts.append(_unwrap_lookups(t) if special and "${" in t else t)
            owners.append(v)
    return texts, owners


def _window_start(text: str, byte_end: int) -> int:
    """Where to start looking for a match that ends `byte_end` UTF-8 bytes into a long `text`."""
    if text.isascii():
        return max(0, byte_end - _WINDOW)
    return max(0, len(text.encode("utf-8", "surrogatepass")[:byte_end].decode("utf-8", "ignore")) - _WINDOW)


def _encodable(text: str) -> str:
    """`text` with lone surrogates (`"\\ud800"` in JSON) made `?`: libinjection encodes to UTF-8
    and would raise, and a guard fault must not be a way past the guard."""
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")


def _cut(text: str, start: int, end: int) -> str:
    if end - start > _EVIDENCE:
        end = start + _EVIDENCE
    lo = max(0, start - 10)
    return ("…" if lo else "") + text[lo:end] + ("…" if end < len(text) else "")


def _add(best: dict[tuple[str, str, str], Detection], location: str, detector: str, sig_id: str, weight: int,
         evidence: str, message: str = "") -> None:
    key = (location, detector, sig_id)
    if key in best:
        return
    category, cwe = CATEGORY[detector]
    best[key] = Detection(detector, category, cwe, location, evidence, weight, message or sig_id)


def value_scores(detections: list[Detection]) -> dict[tuple[str, str], int]:
    """Evidence adds up per location and detector (a quote and a comment and a tautology in one
    value); the request's score is the highest of these."""
    out: dict[tuple[str, str], int] = {}
    for d in detections:
        key = (d.location, d.detector)
        out[key] = min(10, out.get(key, 0) + d.score)
    return out
