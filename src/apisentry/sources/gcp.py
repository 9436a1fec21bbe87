"""GCP Cloud Audit Logs: LogEntry records whose protoPayload is an AuditLog."""

from __future__ import annotations

from apisentry.sources.sql_common import utc_time

PROVIDER = "gcp"
RECORD_KEYS = frozenset({"protoPayload"})

_SHAPE = """{
 "insertId": "VARCHAR", "timestamp": "VARCHAR", "logName": "VARCHAR",
 "resource": {"type": "VARCHAR", "labels": {"project_id": "VARCHAR", "zone": "VARCHAR",
   "location": "VARCHAR", "region": "VARCHAR"}},
 "protoPayload": {"serviceName": "VARCHAR", "methodName": "VARCHAR", "resourceName": "VARCHAR",
   "status": {"code": "INTEGER", "message": "VARCHAR"},
   "authenticationInfo": {"principalEmail": "VARCHAR", "principalSubject": "VARCHAR",
     "serviceAccountKeyName": "VARCHAR",
     "serviceAccountDelegationInfo": [{"firstPartyPrincipal": {"principalEmail": "VARCHAR"}}]},
   "requestMetadata": {"callerIp": "VARCHAR", "callerSuppliedUserAgent": "VARCHAR"},
   "resourceLocation": {"currentLocations": ["VARCHAR"]},
   "request": "JSON", "response": "JSON"}
}"""

# google.rpc.Code numbers to their names, so error codes read like the API's own.
_RPC_CODES = {
    1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
    15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}
_CODE_CASE = " ".join(f"WHEN {k} THEN '{v}'" for k, v in _RPC_CODES.items())

_A = "r.protoPayload.authenticationInfo"
_L = "r.resource.labels"

NORMALIZE_SQL = f"""
SELECT
  coalesce(r.insertId, md5(raw::VARCHAR)) AS uid,
  {utc_time("r.timestamp")} AS time,
  CASE WHEN r.protoPayload.methodName IS NULL THEN NULL ELSE 'gcp' END AS cloud_provider,
  coalesce({_L}.project_id, regexp_extract(r.logName, '^projects/([^/]+)', 1)) AS cloud_account,
  coalesce({_L}.region, {_L}.location,
           nullif(regexp_extract({_L}.zone, '^(.*)-[a-z]$', 1), ''),
           r.protoPayload.resourceLocation.currentLocations[1]) AS cloud_region,
  coalesce({_A}.principalEmail, {_A}.principalSubject, 'anonymous') AS actor_identity,
  CASE
    WHEN {_A}.principalEmail IS NULL AND {_A}.principalSubject IS NULL THEN 'anonymous'
    WHEN {_A}.principalEmail IN ('allUsers', 'allAuthenticatedUsers') THEN 'anonymous'
    WHEN {_A}.principalSubject LIKE 'principal%://iam.googleapis.com/%' THEN 'federated'
    WHEN {_A}.serviceAccountDelegationInfo IS NOT NULL
      AND len({_A}.serviceAccountDelegationInfo) > 0 THEN 'assumed-role'
    WHEN {_A}.principalEmail LIKE '%.gserviceaccount.com' THEN 'service'
    ELSE 'user'
  END AS actor_type,
  coalesce({_A}.principalEmail, {_A}.principalSubject) AS actor_user_uid,
  {_A}.principalEmail AS actor_user_name,
  {_A}.serviceAccountDelegationInfo[1].firstPartyPrincipal.principalEmail AS actor_session_issuer,
  NULL::VARCHAR AS actor_session_name,
  {_A}.serviceAccountKeyName AS actor_access_key,
  NULL::BOOLEAN AS actor_mfa,
  NULL::VARCHAR AS actor_invoked_by,
  r.protoPayload.serviceName AS api_service,
  r.protoPayload.methodName AS api_operation,
  r.protoPayload.requestMetadata.callerIp AS src_ip,
  r.protoPayload.requestMetadata.callerSuppliedUserAgent AS user_agent,
  list_filter([r.protoPayload.resourceName], lambda x: x IS NOT NULL) AS resources,
  CASE WHEN coalesce(r.protoPayload.status.code, 0) = 0 THEN 'success' ELSE 'failure' END AS status,
  CASE r.protoPayload.status.code {_CODE_CASE}
       ELSE CAST(nullif(r.protoPayload.status.code, 0) AS VARCHAR) END AS error_code,
  nullif(r.protoPayload.status.message, '') AS error_message,
  regexp_matches(r.protoPayload.methodName,
                 '\\.(get|list|search|aggregatedlist|testiampermissions|getiampolicy)[a-z]*$', 'i')
    AS read_only,
  NULL::VARCHAR AS http_method,
  NULL::VARCHAR AS http_route,
  NULL::INTEGER AS http_status,
  r.protoPayload.request AS request,
  r.protoPayload.response AS response,
  raw,
  source_file,
  NULL::INTEGER AS source_index
FROM (SELECT raw, source_file, json_transform(raw, '{_SHAPE}') AS r FROM src)
"""
