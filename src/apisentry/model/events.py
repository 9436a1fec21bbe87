"""The one event shape for every API call: cloud control-plane calls and HTTP requests alike.

Field names follow OCSF API Activity (class 6003) flattened with underscores, so a column
`actor_user_uid` is OCSF `actor.user.uid` and `api_operation` is `api.operation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ActorType(StrEnum):
    USER = "user"
    ROLE = "role"
    ASSUMED_ROLE = "assumed-role"
    FEDERATED = "federated"
    ROOT = "root"
    SERVICE = "service"
    ANONYMOUS = "anonymous"
    UNKNOWN = "unknown"


# (column, DuckDB type). The store creates its table from this list and every source's
# normalisation SQL must produce exactly these columns in this order.
EVENT_COLUMNS: list[tuple[str, str]] = [
    ("uid", "VARCHAR"),  # the source's own id: CloudTrail eventID, GCP insertId, Azure eventDataId
    ("time", "TIMESTAMP"),  # UTC
    ("cloud_provider", "VARCHAR"),  # aws | gcp | azure | http
    ("cloud_account", "VARCHAR"),  # AWS account id, GCP project, Azure subscription
    ("cloud_region", "VARCHAR"),
    ("actor_identity", "VARCHAR"),  # the stable identity findings are grouped by
    ("actor_type", "VARCHAR"),  # ActorType
    ("actor_user_uid", "VARCHAR"),  # principal id / ARN / e-mail / object id
    ("actor_user_name", "VARCHAR"),
    ("actor_session_issuer", "VARCHAR"),  # role ARN behind an assumed-role session
    ("actor_session_name", "VARCHAR"),
    ("actor_access_key", "VARCHAR"),
    ("actor_mfa", "BOOLEAN"),
    ("actor_invoked_by", "VARCHAR"),  # AWS service acting for the principal
    ("api_service", "VARCHAR"),  # e.g. iam.amazonaws.com, compute.googleapis.com, Microsoft.Compute
    ("api_operation", "VARCHAR"),  # e.g. CreateAccessKey, v1.compute.instances.insert
    ("src_ip", "VARCHAR"),
    ("user_agent", "VARCHAR"),
    ("resources", "VARCHAR[]"),
    ("status", "VARCHAR"),  # success | failure
    ("error_code", "VARCHAR"),
    ("error_message", "VARCHAR"),
    ("read_only", "BOOLEAN"),
    ("http_method", "VARCHAR"),
    ("http_route", "VARCHAR"),
    ("http_status", "INTEGER"),
    ("request", "JSON"),  # request parameters as sent
    ("response", "JSON"),  # response elements, when the source records them
    ("raw", "JSON"),  # the original record, untouched; NULL until needed where source_index is set
    ("source_file", "VARCHAR"),
    # Position of the record in its source file's record list. S3 delivery files are read without
    # keeping each record's text (storing it tripled ingest time); raw is filled from the file on
    # demand (sources.raw_records.fill_raw).
    ("source_index", "INTEGER"),
]

EVENT_COLUMN_NAMES: list[str] = [name for name, _ in EVENT_COLUMNS]


@dataclass(slots=True)
class ApiEvent:
    """One API call. Analytics run over the store in SQL; this class is for code that holds one
    event at a time (the inline guard, tests, the report)."""

    uid: str
    time: datetime
    cloud_provider: str
    api_operation: str
    api_service: str | None = None
    cloud_account: str | None = None
    cloud_region: str | None = None
    actor_identity: str | None = None
    actor_type: str = ActorType.UNKNOWN
    actor_user_uid: str | None = None
    actor_user_name: str | None = None
    actor_session_issuer: str | None = None
    actor_session_name: str | None = None
    actor_access_key: str | None = None
    actor_mfa: bool | None = None
    actor_invoked_by: str | None = None
    src_ip: str | None = None
    user_agent: str | None = None
    resources: list[str] = field(default_factory=list)
    status: str = "success"
    error_code: str | None = None
    error_message: str | None = None
    read_only: bool | None = None
    http_method: str | None = None
    http_route: str | None = None
    http_status: int | None = None
    request: Any = None
    response: Any = None
    raw: Any = None
    source_file: str | None = None
    source_index: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApiEvent:
        return cls(**{k: row[k] for k in EVENT_COLUMN_NAMES if k in row})
