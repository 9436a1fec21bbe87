"""A DuckDB dialect of pySigma's SQLite backend, and the processing pipelines that map Sigma's
field names onto our events table. Field mapping is data (the tables below), not code."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sigma.backends.sqlite import sqliteBackend  # type: ignore[attr-defined]
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation

from apisentry.model.events import EVENT_COLUMN_NAMES

# Sigma field -> column or SQL expression over `raw`. Fields not listed are read from the
# original record by their dotted path, which for CloudTrail is exactly Sigma's naming.
FIELD_MAPS: dict[str, dict[str, str]] = {
    "aws": {
        "eventName": "api_operation", "eventSource": "api_service", "sourceIPAddress": "src_ip",
        "userAgent": "user_agent", "errorCode": "error_code", "errorMessage": "error_message",
        "awsRegion": "cloud_region", "recipientAccountId": "cloud_account",
    },
    "gcp": {
        "gcp.audit.method_name": "api_operation",
        "data.protoPayload.methodName": "api_operation",
        "data.protoPayload.serviceName": "api_service",
        "protoPayload.serviceName": "api_service",
        "protoPayload.Servicename": "api_service",
        "data.protoPayload.logName": "(raw->>'$.logName')",
        "data.protoPayload.resource.type": "(raw->>'$.resource.type')",
        # authorizationInfo is a list; Sigma addresses its first entry's fields.
        "data.protoPayload.authorizationInfo.permission": "(raw->>'$.protoPayload.authorizationInfo[0].permission')",
        "data.protoPayload.authorizationInfo.granted": "(raw->>'$.protoPayload.authorizationInfo[0].granted')",
    },
    "azure": {
        "operationName": "api_operation", "OperationNameValue": "api_operation",
        "ResourceProviderValue": "api_service",
        "CategoryValue": "coalesce(raw->>'$.category.value', raw->>'$.category')",
        "ResourceId": "coalesce(raw->>'$.resourceId', raw->>'$.ResourceId')",
        "ActivityStatusValue": "coalesce(raw->>'$.status.value', raw->>'$.resultType')",
        "Caller": "actor_user_uid", "CallerIpAddress": "src_ip",
    },
}

# (product, service) of a Sigma log source -> our provider.
LOGSOURCES: dict[tuple[str, str], str] = {
    ("aws", "cloudtrail"): "aws",
    ("gcp", "gcp.audit"): "gcp",
    ("azure", "activitylogs"): "azure",
}

_COLUMNS = set(EVENT_COLUMN_NAMES)
_QUERY = re.compile(r"^SELECT \* FROM \S+ WHERE ")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_@-]+$")


def pipeline_for(provider: str) -> ProcessingPipeline:
    return ProcessingPipeline(
        name=f"apisentry {provider}",
        priority=20,
        items=[ProcessingItem(
            identifier=f"apisentry_{provider}_fields",
            transformation=FieldMappingTransformation(FIELD_MAPS[provider]),  # type: ignore[arg-type]
        )],
    )


class DuckDBBackend(sqliteBackend):
    """pySigma's SQLite backend, spoken in DuckDB: Sigma's default case-insensitive matching via
    ILIKE and NOCASE collation, regexes through regexp_matches, unknown fields from the raw JSON."""

    identifier: ClassVar[str] = "apisentry-duckdb"
    name: ClassVar[str] = "apisentry DuckDB backend"

    wildcard_match_expression: ClassVar[str] = "{field} ILIKE '{value}' ESCAPE '\\'"
    contains_expression: ClassVar[str] = "{field} ILIKE '%{value}%' ESCAPE '\\'"
    re_expression: ClassVar[str] = "regexp_matches({field}, '{regex}')"

    def __init__(self, provider: str, **options: Any) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            processing_pipeline=pipeline_for(provider), table="events",
                         fulltext_field="raw", **options)

    def escape_and_quote_field(self, field: str) -> str:
        if field == "events":  # the table name passes through here too
            return field
        if field == "raw":
            return "raw::VARCHAR"
        if field in _COLUMNS or field.startswith(("(", "coalesce(")):
            return field
        parts = field.split(".")
        path = ".".join(p if _SAFE_KEY.match(p) else '"' + p.replace('"', '\\"') + '"' for p in parts)
        return f"(raw->>'$.{path}')"

    def convert_condition_field_eq_val_str(self, cond: Any, state: Any) -> Any:
        expr = super().convert_condition_field_eq_val_str(cond, state)
        # A plain equality: compare case-insensitively, as Sigma specifies.
        if isinstance(expr, str) and " ILIKE " not in expr and " GLOB " not in expr and "=" in expr:
            return f"({expr} COLLATE NOCASE)"
        return expr


def to_condition(query: str) -> str:
    """The backend writes full queries; the engine wants only the WHERE condition."""
    m = _QUERY.match(query)
    if not m:
        raise ValueError(f"unexpected query shape: {query[:80]}")
    return query[m.end():]
