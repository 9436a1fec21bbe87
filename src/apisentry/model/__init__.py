"""Plain typed data shared by every capability: events, findings, severities."""

from apisentry.model.events import EVENT_COLUMNS, ActorType, ApiEvent
from apisentry.model.findings import SEVERITIES, Finding, Severity

__all__ = ["EVENT_COLUMNS", "SEVERITIES", "ActorType", "ApiEvent", "Finding", "Severity"]
