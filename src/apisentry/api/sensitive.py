"""Sensitive data in requests and responses: personal data and secrets, each with a validator where
one exists (Luhn for cards, mod-97 for IBANs, structure for keys and tokens) so that ids and
numbers that merely look alike are not counted."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
_CARD = re.compile(r"^(?:\d[ -]?){13,19}$")
_SSN = re.compile(r"^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_AWS_KEY = re.compile(r"^(?:AKIA|ASIA)[0-9A-Z]{16}$")
_JWT = re.compile(r"^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*$")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_GITHUB = re.compile(r"^gh[pousr]_[A-Za-z0-9]{36,}$")
_DOB_KEYS = re.compile(r"birth|dob", re.IGNORECASE)
_ADDRESS_KEYS = re.compile(r"street|address|addr1|postcode|zip", re.IGNORECASE)
_SECRET_KEYS = re.compile(r"pass(word|wd)?$|secret|api[-_]?key|private[-_]?key|access[-_]?token|refresh[-_]?token", re.IGNORECASE)
_NATIONAL_KEYS = re.compile(r"ssn|national[-_]?id|passport|tax[-_]?id", re.IGNORECASE)


def luhn(digits: str) -> bool:
    d = [int(c) for c in digits if c.isdigit()]
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, n in enumerate(reversed(d)):
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def iban_ok(s: str) -> bool:
    t = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in t)
    return int(num) % 97 == 1


def classify(key: str, value: Any) -> set[str]:
    """Data types of one key/value pair."""
    if isinstance(value, str | int | float | bool | None):
        return set(_classify(key, value))
    return set()


@lru_cache(maxsize=4096)
def _key_kinds(key: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    """What a field's name says (secret, birth date, address, national id, card, phone): names repeat
    across every body, so each is read once."""
    return (bool(_SECRET_KEYS.search(key)), bool(_DOB_KEYS.search(key)), bool(_ADDRESS_KEYS.search(key)),
            bool(_NATIONAL_KEYS.search(key)), bool(re.search(r"card|pan|cc", key, re.I)),
            bool(re.search(r"phone|mobile|tel", key, re.IGNORECASE)))


# Not cached: values rarely repeat, and a bounded cache that evicts on nearly every call cost more
# (30% of a HAR inventory) than the cheap checks below save.
def _classify(key: str, value: Any) -> frozenset[str]:
    out: set[str] = set()
    secret, dob, address, national, cardish, phoneish = _key_kinds(key or "")
    if secret and value not in (None, ""):
        out.add("secret")
    if isinstance(value, str):
        v = value.strip()
        # Each pattern runs only where its cheapest necessary condition holds (an `@` for an e-mail
        # address, a digit first for a card): nearly all values are plain names and ids.
        first = v[:1]
        if "@" in v and _EMAIL.match(v):
            out.add("email")
        elif v[:4] in ("AKIA", "ASIA") and _AWS_KEY.match(v):
            out.add("cloud_key")
        elif (v[:3] == "eyJ" and _JWT.match(v)) or (v[:2] == "gh" and _GITHUB.match(v)):
            out.add("token")
        elif "-----BEGIN" in v and _PRIVATE_KEY.search(v):
            out.add("private_key")
        elif len(v) == 11 and _SSN.match(v):
            out.add("national_id")
        elif first.isdigit() and _CARD.match(v) and luhn(v) and (not v.isdigit() or cardish):
            # An all-digit value passes Luhn one time in ten: it counts only under a card-like name.
            out.add("card_number")
        elif "A" <= first <= "Z" and _IBAN.match(v.replace(" ", "")) and iban_ok(v.replace(" ", "")):
            out.add("iban")
        elif phoneish and _PHONE.match(v) and sum(c.isdigit() for c in v) >= 7:
            out.add("phone")
        if dob and re.match(r"^\d{4}-\d{2}-\d{2}$|^\d{2}/\d{2}/\d{4}$", v):
            out.add("date_of_birth")
        if address and v:
            out.add("address")
        if national and v:
            out.add("national_id")
    return frozenset(out)


def types_in(doc: Any, max_items: int = 5000) -> set[str]:
    """The data types in a body: every scalar classified under the name of the field that holds it
    (items of a list under the list's name), at most `max_items` nodes of one body."""
    found: set[str] = set()
    stack: list[tuple[str, Any]] = [("", doc)]
    n = 0
    while stack and n < max_items:
        key, node = stack.pop()
        n += 1
        if isinstance(node, dict):
            stack.extend((str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((key, v) for v in node)
        elif isinstance(node, str | int | float | bool | None) and (kinds := _classify(key, node)):
            found |= kinds
    return found
