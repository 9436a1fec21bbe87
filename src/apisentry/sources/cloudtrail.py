"""AWS CloudTrail records (S3 delivery files, arrays, JSON Lines, EventBridge, lookup-events)."""

from __future__ import annotations

from apisentry.sources.sql_common import true_text, utc_time

PROVIDER = "aws"

# Keys that mark a bare CloudTrail record, and the envelopes that carry one.
RECORD_KEYS = frozenset({"eventVersion", "eventSource", "eventName"})

# One parse of each record into the fields we normalise; VARCHAR everywhere so a producer that
# writes a boolean as a string (or the reverse) still normalises instead of nulling the row.
_SHAPE = """{
 "eventID": "VARCHAR", "eventTime": "VARCHAR", "eventSource": "VARCHAR", "eventName": "VARCHAR",
 "awsRegion": "VARCHAR", "recipientAccountId": "VARCHAR", "sourceIPAddress": "VARCHAR",
 "userAgent": "VARCHAR", "errorCode": "VARCHAR", "errorMessage": "VARCHAR", "readOnly": "VARCHAR",
 "eventType": "VARCHAR",
 "userIdentity": {"type": "VARCHAR", "principalId": "VARCHAR", "arn": "VARCHAR",
   "accountId": "VARCHAR", "accessKeyId": "VARCHAR", "userName": "VARCHAR", "invokedBy": "VARCHAR",
   "sessionContext": {"sessionIssuer": {"arn": "VARCHAR", "userName": "VARCHAR"},
                      "attributes": {"mfaAuthenticated": "VARCHAR"}}},
 "additionalEventData": {"MFAUsed": "VARCHAR"},
 "resources": [{"ARN": "VARCHAR"}],
 "requestParameters": "JSON", "responseElements": "JSON"
}"""

_P = "r.requestParameters"

# Request parameters that name the resource acted on. One multi-path extraction parses the
# parameters once; a `->>` per key parsed them once per key and made ingest 2x slower.
_RESOURCE_KEYS = ("bucketName", "userName", "roleName", "functionName", "secretId", "name", "snapshotId",
                  "imageId", "dBSnapshotIdentifier", "keyId", "trailName", "detectorId")
_RESOURCE_PATHS = "[" + ", ".join(f"'$.\"{k}\"'" for k in _RESOURCE_KEYS) + "]"

# The event columns, over a relation of (r: the record as _SHAPE, raw, source_file, source_index).
_COLUMNS = f"""
SELECT
  coalesce(r.eventID, md5(coalesce(raw::VARCHAR, source_file || '#' || source_index::VARCHAR))) AS uid,
  {utc_time("r.eventTime")} AS time,
  CASE WHEN r.eventName IS NULL THEN NULL ELSE 'aws' END AS cloud_provider,
  coalesce(r.recipientAccountId, r.userIdentity.accountId) AS cloud_account,
  r.awsRegion AS cloud_region,
  coalesce(r.userIdentity.arn, r.userIdentity.sessionContext.sessionIssuer.arn,
           r.userIdentity.invokedBy, r.userIdentity.principalId, r.userIdentity.userName) AS actor_identity,
  CASE
    WHEN r.userIdentity.principalId = 'ANONYMOUS_PRINCIPAL'
      OR r.userIdentity.accountId = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
    WHEN r.userIdentity.type IS NULL THEN 'unknown'
    WHEN r.userIdentity.type = 'Root' THEN 'root'
    WHEN r.userIdentity.type IN ('IAMUser', 'IdentityCenterUser', 'AWSAccount', 'Directory') THEN 'user'
    WHEN r.userIdentity.type = 'AssumedRole' THEN 'assumed-role'
    WHEN r.userIdentity.type IN ('FederatedUser', 'SAMLUser', 'WebIdentityUser') THEN 'federated'
    WHEN r.userIdentity.type = 'AWSService' THEN 'service'
    ELSE 'unknown'
  END AS actor_type,
  coalesce(r.userIdentity.arn, r.userIdentity.principalId) AS actor_user_uid,
  coalesce(r.userIdentity.userName, r.userIdentity.sessionContext.sessionIssuer.userName) AS actor_user_name,
  r.userIdentity.sessionContext.sessionIssuer.arn AS actor_session_issuer,
  CASE WHEN r.userIdentity.type = 'AssumedRole'
       THEN regexp_extract(r.userIdentity.arn, '[^/]+$') END AS actor_session_name,
  r.userIdentity.accessKeyId AS actor_access_key,
  CASE
    WHEN r.additionalEventData.MFAUsed IS NOT NULL THEN r.additionalEventData.MFAUsed = 'Yes'
    ELSE {true_text("r.userIdentity.sessionContext.attributes.mfaAuthenticated")}
  END AS actor_mfa,
  r.userIdentity.invokedBy AS actor_invoked_by,
  r.eventSource AS api_service,
  r.eventName AS api_operation,
  r.sourceIPAddress AS src_ip,
  r.userAgent AS user_agent,
  -- list_distinct also drops NULLs (keys the parameters lack); a list_filter lambda cost 5%.
  list_distinct(list_concat(
    list_transform(coalesce(r.resources, []), lambda x: x.ARN),
    coalesce(json_extract_string({_P}, {_RESOURCE_PATHS}), []))) AS resources,
  CASE WHEN r.errorCode IS NULL THEN 'success' ELSE 'failure' END AS status,
  r.errorCode AS error_code,
  r.errorMessage AS error_message,
  {true_text("r.readOnly")} AS read_only,
  NULL::VARCHAR AS http_method,
  NULL::VARCHAR AS http_route,
  NULL::INTEGER AS http_status,
  r.requestParameters AS request,
  r.responseElements AS response,
  raw,
  source_file,
  source_index
"""

# A normaliser is a SELECT over a relation `src(raw JSON, source_file VARCHAR)`; it yields the
# columns of apisentry.model.events.EVENT_COLUMNS in order.
NORMALIZE_SQL = f"""{_COLUMNS}
FROM (SELECT raw, source_file, NULL::INTEGER AS source_index, json_transform(raw, '{_SHAPE}') AS r FROM src)
"""


def document_sql(documents: str, key: str) -> str:
    """The event columns for S3 delivery files, from `documents(json, filename)` holding one
    `{key: [records]}` document per file. One json_transform of the whole document parses each
    byte once; splitting into record texts first and transforming each parsed everything twice,
    and storing those texts as raw cost more than the rest of ingest (docs/benchmarks.md). raw is
    left NULL with the record's position, and filled from the file when a query needs it."""
    shape = '{"' + key + '": [' + _SHAPE + ']}'
    return f"""{_COLUMNS}
FROM (SELECT unnest(d."{key}") AS r, NULL::JSON AS raw, filename AS source_file,
             unnest(range(len(d."{key}")))::INTEGER AS source_index
      FROM (SELECT json_transform(json, '{shape}') AS d, filename FROM ({documents})))
"""
