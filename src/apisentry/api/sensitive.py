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
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{2}/\d{2}/\d{4}$")  # a date, or the start of a date-time
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


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


def _name_words(key: str) -> list[str]:
    """A field name's words, lower case: `X-AppSecretToken`, `app_secret_token` and `appSecretToken`
    are `x app secret token`; `IPAddress` is `ip address`, `ssn4` is `ssn 4`."""
    return [w.lower() for w in _WORDS.findall(key)]


# A field is named by its last word, as English compounds are (`clientSecretExpiresAt` is a time,
# `businessName` a name, `ipAddress` no street address); the word before it qualifies it. Matching
# letters anywhere in the name instead counted `className` and `businessName` as national ids
# (s-s-n), `ipAddress` as an address and `hotelId` as a phone, on 156,468 names from real specs.
_SECRET_HEADS = {"password", "passwd", "pwd", "passphrase", "secret", "apikey", "privatekey", "secretkey",
                 "clientsecret", "accesstoken", "refreshtoken", "authtoken", "credentials"}
_KEY_OF = {"api", "private", "secret", "access", "signing"}  # `apiKey`, not `keyId` or `sortKey`
_TOKEN_OF = {"access", "refresh", "auth", "bearer", "session", "id", "api", "oauth", "secret", "csrf"}
_PASS_OF = {"user", "db", "admin", "login", "root", "smtp", "ftp", "mail", "key", "store", "account"}
_NOT_POSTAL = {"ip", "ipv4", "ipv6", "mac", "email", "e", "mail", "web", "wallet", "contract", "ingress", "egress",
               "remote", "local", "server", "host", "network", "source", "destination", "gateway", "im", "sip",
               "endpoint", "url", "public", "private", "bitcoin", "btc", "eth", "node", "peer", "listen",
               "bind", "proxy", "dns", "broadcast", "multicast", "memory", "base", "start", "end", "return",
               "ipv", "socket", "cidr", "src", "dst", "tunnel", "lower", "upper", "resource", "execution", "ready",
               "from", "to", "cc", "bcc", "reply", "validate"}
_ADDRESS_HEADS = {"address", "addresses", "street", "postcode", "zipcode", "postalcode", "zip", "line"}
_NATIONAL_HEADS = {"ssn", "passport", "nino", "taxid", "nationalid"}
_NUMBER_HEADS = {"id", "ids", "number", "no", "num", "nr", "identifier", "identification"}
_NUMBERS = {"number", "no", "num", "nr"}  # not `id`: `cardId` and `phoneId` are the API's own ids
_CARD_HEADS = {"cc", "pan", "creditcard", "cardnumber", "ccnumber"}
_PHONE_WORDS = {"phone", "mobile", "telephone", "tel", "fax", "msisdn", "phonenumber"}
# Values under an address-like name that are no postal address: IPs, networks, MACs, URLs, e-mails.
_NOT_POSTAL_VALUE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}(?:/\d+)?|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:/\d+)?"
                               r"|(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}|[a-z][a-z0-9+.-]*://\S*|true|false|\S+@\S+)$", re.I)


# Django-style filters name a field, then how it is compared: `address__street__iexact`.
_LOOKUPS = {"exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "regex",
            "iregex", "in", "gt", "gte", "lt", "lte", "isnull", "ne", "nie", "nisw", "niew", "ic", "overlap"}


@lru_cache(maxsize=4096)
def _key_kinds(key: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    """What a field's name says (secret, birth date, address, national id, card, phone): names repeat
    across every body, so each is read once."""
    parts = key.split("__")
    while len(parts) > 1 and parts[-1].lower() in _LOOKUPS:
        parts.pop()
    w = [x for x in _name_words("_".join(parts)) if not x.isdigit()]
    if not w:
        return (False,) * 6
    head, prev = w[-1], (w[-2] if len(w) > 1 else "")
    secret = (head in _SECRET_HEADS or (head == "key" and prev in _KEY_OF) or (head == "token" and prev in _TOKEN_OF)
              or (head == "pass" and (prev in _PASS_OF or len(w) == 1))
              or (head in ("string", "value", "text") and prev == "secret"))  # AWS Secrets Manager's SecretString
    dob = ("dob" in w or "birthdate" in w or "birthday" in w or "dateofbirth" in w
           or ("birth" in w and (head in ("date", "day", "birth") or "date" in w)))
    postal_head = head in _ADDRESS_HEADS and (head != "line" or prev in ("address", "street"))
    address = ((postal_head and not set(w) & _NOT_POSTAL)
               or ("postal" in w and head == "code") or (head == "code" and prev == "zip"))
    national = (head in _NATIONAL_HEADS or (prev in ("ssn", "passport", "national", "tax", "vat") and head in _NUMBER_HEADS)
                or (prev == "identification" and "national" in w)
                or ("social" in w and "security" in w and head in _NUMBERS | {"security"}))
    card = (head in _CARD_HEADS or (head == "card" and prev in ("credit", "debit", "payment", "bank", ""))
            or (prev in _CARD_HEADS | {"card"} and head in _NUMBERS))
    phone = head in _PHONE_WORDS or (prev in _PHONE_WORDS and head in _NUMBERS)
    return secret, dob, address, national, card, phone


# Not cached: values rarely repeat, and a bounded cache that evicts on nearly every call cost more
# (30% of a HAR inventory) than the cheap checks below save.
def _classify(key: str, value: Any) -> frozenset[str]:
    out: set[str] = set()
    secret, dob, address, national, cardish, phoneish = _key_kinds(key or "")
    if secret and value not in (None, "") and not isinstance(value, bool):  # `apiKeyRequired: true` is a flag
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
        elif phoneish and _PHONE.match(v) and sum(c.isdigit() for c in v) >= 7 and not _DATE.match(v):
            out.add("phone")
        if dob and _DATE.match(v):
            out.add("date_of_birth")
        if address and v and not _NOT_POSTAL_VALUE.match(v):
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
