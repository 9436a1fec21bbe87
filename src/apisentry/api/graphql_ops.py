"""GraphQL calls: the operations and root fields a client asked for, read with graphql-core. Every
call of a GraphQL API goes to one path (`POST /graphql`), so the path says nothing of what was
called; the query does: `query GetUser { user(id: 7) { email } }` asked for `query.user`, and a
`mutation { deleteUser(id: 7) }` for `mutation.deleteUser`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

# A query is read only up to these sizes: a hostile client's megabyte of tokens costs a skip, not
# a minute. Real operations are a few hundred tokens; the largest persisted queries a few thousand.
MAX_QUERY_CHARS = 100_000
MAX_TOKENS = 20_000
# Operations of one batch read, at most (`[{"query": …}, …]`).
MAX_BATCH = 100
# Fragments followed from a root selection, at most: a fragment may spread others.
MAX_SPREADS = 50
# Names are identifiers of any length; a hostile one is cut, so a thousand kept names stay small.
MAX_NAME = 100
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    operations: tuple[str, ...]  # `query GetUser`, `mutation (anonymous)`
    fields: tuple[str, ...]  # `query.user`, `mutation.deleteUser`
    introspection: bool


def graphql_requests(body: Any, query: list[tuple[str, str]]) -> list[GraphQLRequest | None]:
    """The GraphQL operations a call carried: a JSON body with a `query` (or a batch of them), or a
    GET's `?query=`. None for a query that is no GraphQL; an empty list when the call is no GraphQL call."""
    found: list[tuple[Any, Any]] = []
    if isinstance(body, dict) and "query" in body:
        found.append((body.get("query"), body.get("operationName")))
    elif isinstance(body, list):
        found += [(b.get("query"), b.get("operationName")) for b in body[:MAX_BATCH] if isinstance(b, dict) and "query" in b]
    elif body is None:
        params = dict(query)
        if params.get("query"):
            found.append((params["query"], params.get("operationName")))
    return [read_query(q, name if isinstance(name, str) else None) if isinstance(q, str) else None for q, name in found]


# Queries up to this long are remembered: clients send the same few again and again. Longer ones,
# rare in real traffic, are read each time, so a flood of distinct long queries cannot fill memory.
CACHED_CHARS = 4096


def read_query(text: str, operation_name: str | None = None) -> GraphQLRequest | None:
    """The operation(s) a query text asks for, or None if it is no GraphQL (or too long, or too deep)."""
    if len(text) > MAX_QUERY_CHARS:
        return None
    return _cached(text, operation_name) if len(text) <= CACHED_CHARS else _read(text, operation_name)


@lru_cache(maxsize=4096)
def _cached(text: str, operation_name: str | None) -> GraphQLRequest | None:
    return _read(text, operation_name)


def _read(text: str, operation_name: str | None) -> GraphQLRequest | None:
    try:
        doc = parse(text, no_location=True, max_tokens=MAX_TOKENS)
    except (GraphQLError, RecursionError):
        return None
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None and len(ops) > 1:
        # A document of several operations runs the one the request names.
        ops = [op for op in ops if op.name is not None and op.name.value == operation_name] or ops
    if not ops:
        return None
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    names: list[str] = []
    fields: list[str] = []
    for op in ops:
        kind = op.operation.value
        names.append(f"{kind} {_short(op.name.value) if op.name else '(anonymous)'}")
        fields += [f"{kind}.{_short(f)}" for f in _root_fields(op.selection_set, fragments)]
    introspection = any(f.split(".", 1)[1] in INTROSPECTION_FIELDS for f in fields)
    return GraphQLRequest(tuple(dict.fromkeys(names)), tuple(dict.fromkeys(fields)), introspection)


def _root_fields(selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """The fields an operation asks of the root type, through inline fragments and fragment spreads."""
    out: list[str] = []
    todo = [selections]
    spread: set[str] = set()
    while todo:
        for sel in todo.pop().selections:
            if isinstance(sel, FieldNode):
                if sel.name.value != "__typename":
                    out.append(sel.name.value)
            elif isinstance(sel, InlineFragmentNode):
                todo.append(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in spread and len(spread) < MAX_SPREADS:
                spread.add(sel.name.value)
                if (frag := fragments.get(sel.name.value)) is not None:
                    todo.append(frag.selection_set)
    return out


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"


def introspection_answered(response: Any) -> bool:
    """Whether a response carries the schema: `{"data": {"__schema": {…}}}`. A server that switched
    introspection off answers 200 too, with `errors` and no data."""
    data = response.get("data") if isinstance(response, dict) else None
    return isinstance(data, dict) and any(data.get(f) for f in INTROSPECTION_FIELDS)
