"""Azure Activity Log, as exported to storage ({"records": [...]}, one record a line in PT1H.json)
and as printed by `az monitor activity-log list` (a JSON array of objects with .value fields)."""

from __future__ import annotations

from apisentry.sources.sql_common import utc_time

PROVIDER = "azure"
RECORD_KEYS = frozenset({"operationName"})

# The two shapes name fields differently; both are read and coalesced.
_SHAPE = """{
 "eventDataId": "VARCHAR", "id": "VARCHAR", "time": "VARCHAR", "eventTimestamp": "VARCHAR",
 "resourceId": "VARCHAR", "subscriptionId": "VARCHAR", "location": "VARCHAR",
 "operationName": "JSON", "resultType": "VARCHAR", "resultSignature": "VARCHAR",
 "status": {"value": "VARCHAR"}, "subStatus": {"value": "VARCHAR"},
 "resourceProviderName": {"value": "VARCHAR"},
 "caller": "VARCHAR", "callerIpAddress": "VARCHAR",
 "httpRequest": {"clientIpAddress": "VARCHAR"},
 "identity": {"claims": {"appid": "VARCHAR", "idtyp": "VARCHAR",
   "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "VARCHAR"}},
 "claims": {"appid": "VARCHAR", "idtyp": "VARCHAR"},
 "properties": "JSON"
}"""

_OP = "coalesce(r.operationName->>'value', r.operationName->>'$')"
_CALLER = ("coalesce(r.caller, r.identity.claims.\"http://schemas.xmlsoap.org/ws/2005/05/identity/"
           "claims/upn\", r.identity.claims.appid, r.claims.appid)")
_STATUS = "coalesce(r.status.value, r.resultType)"

NORMALIZE_SQL = f"""
SELECT
  coalesce(r.eventDataId, r.id, md5(raw::VARCHAR)) AS uid,
  {utc_time("coalesce(r.eventTimestamp, r.time)")} AS time,
  CASE WHEN r.operationName IS NULL THEN NULL ELSE 'azure' END AS cloud_provider,
  coalesce(r.subscriptionId,
           nullif(regexp_extract(r.resourceId, '(?i)/subscriptions/([^/]+)', 1), '')) AS cloud_account,
  lower(r.location) AS cloud_region,
  coalesce({_CALLER}, 'anonymous') AS actor_identity,
  CASE
    WHEN {_CALLER} IS NULL THEN 'anonymous'
    WHEN {_CALLER} LIKE '%@%' THEN 'user'
    WHEN coalesce(r.identity.claims.idtyp, r.claims.idtyp) = 'app'
      OR regexp_matches({_CALLER}, '^[0-9a-fA-F-]{{36}}$') THEN 'service'
    ELSE 'user'
  END AS actor_type,
  {_CALLER} AS actor_user_uid,
  {_CALLER} AS actor_user_name,
  NULL::VARCHAR AS actor_session_issuer,
  NULL::VARCHAR AS actor_session_name,
  NULL::VARCHAR AS actor_access_key,
  NULL::BOOLEAN AS actor_mfa,
  NULL::VARCHAR AS actor_invoked_by,
  coalesce(r.resourceProviderName.value, split_part({_OP}, '/', 1)) AS api_service,
  {_OP} AS api_operation,
  coalesce(r.callerIpAddress, r.httpRequest.clientIpAddress) AS src_ip,
  NULL::VARCHAR AS user_agent,
  list_filter([r.resourceId], lambda x: x IS NOT NULL) AS resources,
  CASE WHEN lower({_STATUS}) IN ('failure', 'failed') THEN 'failure' ELSE 'success' END AS status,
  CASE WHEN lower({_STATUS}) IN ('failure', 'failed')
       THEN coalesce(nullif(r.subStatus.value, ''), r.resultSignature, {_STATUS}) END AS error_code,
  CASE WHEN lower({_STATUS}) IN ('failure', 'failed')
       THEN r.properties->>'statusMessage' END AS error_message,
  lower({_OP}) LIKE '%/read' AS read_only,
  NULL::VARCHAR AS http_method,
  NULL::VARCHAR AS http_route,
  NULL::INTEGER AS http_status,
  r.properties AS request,
  NULL::JSON AS response,
  raw,
  source_file,
  NULL::INTEGER AS source_index
FROM (SELECT raw, source_file, json_transform(raw, '{_SHAPE}') AS r FROM src)
"""
