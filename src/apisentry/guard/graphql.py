"""GraphQL abuse: introspection where it is switched off, and queries built to exhaust the server
(deep nesting, alias floods, batches). A brace-and-token count, not a parser: enough to measure
shape, and it cannot be made to recurse."""

from __future__ import annotations

import re

# A string left open runs to the end: then every match succeeds where it starts, and a query full
# of quotes costs one pass, not one pass per quote. (A server rejects such a query anyway.)
_STRINGS = re.compile(r'"""[\s\S]*?(?:"""|$)|"(?:[^"\\]|\\[\s\S])*(?:\\$|"|$)')
_ALIAS = re.compile(r"\b[_A-Za-z]\w*\s*:\s*[_A-Za-z]\w*\s*[({@]?")
_INTROSPECTION = re.compile(r"\b__(?:schema|type)\b")


def looks_like_graphql(path: str, text: str) -> bool:
    t = text.lstrip()
    return path.rstrip("/").endswith("graphql") or t.startswith(("query", "mutation", "subscription", "{", "fragment"))


def shape(query: str) -> tuple[int, int, bool]:
    """(max depth, aliases, asks for introspection)."""
    q = _STRINGS.sub('""', query)
    depth = best = 0
    for ch in q:
        if ch == "{":
            depth += 1
            best = max(best, depth)
        elif ch == "}":
            depth -= 1
    # Arguments `(id: 1)` look like aliases; drop what sits in parentheses first.
    q_no_args = re.sub(r"\([^()]*\)", "", q)
    return best, len(_ALIAS.findall(q_no_args)), bool(_INTROSPECTION.search(q))
