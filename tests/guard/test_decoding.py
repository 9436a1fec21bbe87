"""What attackers encode is decoded before detection: each spelling of one attack is caught."""

from __future__ import annotations

import base64
import json
import random
import string
from urllib.parse import quote

import pytest

from apisentry.guard import Guard, HttpRequest
from apisentry.guard.decode import b64_text, decoded_forms, js_decode, may_be_b64_text, url_decode
from tests.guard.conftest import get, post_json

ATTACK = "<script>alert(1)</script>"


def _entities(s: str) -> str:
    return "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in s)


SPELLINGS = {
    "url": quote(ATTACK, safe=""),
    "double url": quote(quote(ATTACK, safe=""), safe=""),
    "triple url": quote(quote(quote(ATTACK, safe=""), safe=""), safe=""),
    "%u": "".join(f"%u{ord(c):04x}" for c in ATTACK),
    "html decimal": _entities(ATTACK),
    "html hex": "".join(f"&#x{ord(c):x};" for c in ATTACK),
    "html named": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "js unicode": "".join(f"\\u{ord(c):04x}" for c in ATTACK),
    "js hex": "".join(f"\\x{ord(c):02x}" for c in ATTACK),
    "base64": base64.b64encode(ATTACK.encode()).decode(),
    "base64 unpadded": base64.b64encode(ATTACK.encode()).decode().rstrip("="),
    "base64url": base64.urlsafe_b64encode(b"<svg onload=alert(1)>").decode().rstrip("="),
    "utf-7": "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "null bytes": "<scr\x00ipt>alert(1)</scr\x00ipt>",
    "base64 of UTF-8": base64.b64encode("“ onclick=alert(1)//<button ‘ onclick=alert(1)//>".encode()).decode(),
    "base64 inside a value": base64.b64encode(ATTACK.encode()).decode().rstrip("=") + '"/>',
    "7-bit US-ASCII": "¼script¾alert(¢XSS¢)¼/script¾",
    "octal escapes": "".join(f"\\{ord(c):03o}" for c in ATTACK),
}


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_each_spelling_is_caught_in_json(guard: Guard, name: str) -> None:
    v = guard.inspect(post_json({"comment": SPELLINGS[name]}))
    assert v.action == "block", (name, v.detections)
    assert any(d.detector == "xss" for d in v.detections)


def test_overlong_utf8_traversal(guard: Guard) -> None:
    assert url_decode("%c0%ae%c0%ae%c0%af") == "../"
    v = guard.inspect(get(query="file=%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd"))
    assert v.action == "block" and any(d.detector == "traversal" for d in v.detections)


def test_plus_is_space_in_forms_only() -> None:
    assert "union select" in decoded_forms("union+select%20x", plus_is_space=True)[-1]
    assert decoded_forms("a+b") == ["a+b"]


def test_base64_needs_printable_text() -> None:
    random_token = base64.b64encode(bytes(range(200, 240))).decode()
    assert decoded_forms(random_token) == [random_token]


def test_json_escapes_in_raw_body(guard: Guard) -> None:
    body = json.dumps({"q": "' OR 1=1 --"}).replace("'", "\\u0027").encode()
    assert b"\\u0027" in body
    v = guard.inspect(HttpRequest("POST", "/x", "", [("Content-Type", "application/json")], body))
    assert v.action == "block"


def test_base64_prefilter_never_skips_base64_of_text() -> None:
    """`may_be_b64_text` spares the decode for words and ids; it must never turn away base64 of
    text, in any alphabet, padded or not, short or long, with a tab or line break inside."""
    rng = random.Random(7)
    alphabet = string.printable
    for n in (*range(4, 40), 100, 300):
        for _ in range(30):
            raw = "".join(rng.choice(alphabet) for _ in range(n)).encode()
            for enc in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
                for text in (enc.decode(), enc.decode().rstrip("=")):
                    if b64_text(text) is not None:
                        assert may_be_b64_text(text), (raw, text)


def test_base64_prefilter_skips_words_codes_and_ids() -> None:
    for word in ("password", "Springfield", "mobile-app", "spring_sale_2024", "62704",
                 "c3f1a2b4-5d6e-4f70-8a9b-0c1d2e3f4a5b", "2024-05-01"):
        assert not may_be_b64_text(word), word


def test_escaped_surrogate_pairs_join_into_one_character() -> None:
    assert js_decode("\\ud83d\\ude00 <svg onload=alert(1)>") == "\U0001F600 <svg onload=alert(1)>"
    assert js_decode("\\ud800x") == "\ud800x"  # a lone half stays, for the scanner to cope with
