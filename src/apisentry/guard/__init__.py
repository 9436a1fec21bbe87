"""The inline guard: a pure `Guard.inspect(request) -> Verdict` core and its adapters."""

from apisentry.guard.core import Guard
from apisentry.guard.model import Detection, HttpRequest, Verdict

__all__ = ["Detection", "Guard", "HttpRequest", "Verdict"]
