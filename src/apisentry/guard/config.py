"""Guard settings, from code or a YAML policy file (see docs/guard.md for the format)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from apisentry.guard.auth import AuthConfig


class PolicyError(ValueError):
    """A policy file that cannot be used, with where and why."""


@dataclass
class RouteRule:
    """Overrides for requests whose path starts with `path` (and whose method is `method`, if given)."""

    path: str
    method: str | None = None
    mode: str | None = None
    block_threshold: int | None = None
    disabled_detectors: list[str] = field(default_factory=list)
    skip: bool = False  # not inspected at all (health checks, static files)

    def __post_init__(self) -> None:
        _check_detectors(self.disabled_detectors)


def _check_detectors(names: list[Any]) -> None:
    # A list is all the compiled class checks; a name of another type would fail on first use.
    if not all(isinstance(n, str) for n in names):
        raise PolicyError(f"disabled_detectors: a list of detector names, not {names!r:.80}")


@dataclass
class GuardConfig:
    mode: str = "block"  # "block" | "monitor"
    block_threshold: int = 5
    fail_closed: bool = False  # on a guard fault: block (True) or let the request through
    max_body_bytes: int = 1 << 20
    max_json_depth: int = 64
    max_values: int = 10_000
    max_header_bytes: int = 16 * 1024
    disabled_detectors: list[str] = field(default_factory=list)
    graphql_introspection: bool = True  # False: introspection queries are blocked
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_batch: int = 10
    auth: AuthConfig = field(default_factory=AuthConfig)
    routes: list[RouteRule] = field(default_factory=list)
    allow_ips: list[str] = field(default_factory=list)  # CIDRs never blocked (still logged)

    def __post_init__(self) -> None:
        if self.mode not in ("block", "monitor"):
            raise PolicyError(f"mode must be block or monitor, not {self.mode!r}")
        _check_detectors(self.disabled_detectors)
        try:
            self._allow_nets = [ipaddress.ip_network(c, strict=False) for c in self.allow_ips]
        except ValueError as e:
            raise PolicyError(f"allow_ips: {e}") from e
        # Longest prefix first, so the most specific rule wins.
        self.routes.sort(key=lambda r: -len(r.path))

    def allowed_ip(self, client: str | None) -> bool:
        if not client or not self._allow_nets:
            return False
        try:
            ip = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(ip in n for n in self._allow_nets)

    def route_rule(self, method: str, path: str) -> RouteRule | None:
        for r in self.routes:
            if path.startswith(r.path) and (r.method is None or r.method.upper() == method.upper()):
                return r
        return None


_TOP = {f for f in GuardConfig.__dataclass_fields__ if f not in ("auth", "routes")}
_AUTH = {f for f in AuthConfig.__dataclass_fields__ if not f.startswith("_")}
_ROUTE = set(RouteRule.__dataclass_fields__)


def load_policy(path: str | Path) -> GuardConfig:
    p = Path(path)
    try:
        doc = yaml.load(p.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as e:
        raise PolicyError(f"{p}: cannot read: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise PolicyError(f"{p}: not YAML: {str(e).splitlines()[0]}") from e
    return policy_from_dict(doc or {}, str(p))


def policy_from_dict(doc: Any, where: str = "policy") -> GuardConfig:
    if not isinstance(doc, dict):
        raise PolicyError(f"{where}: the top level must be a mapping")
    unknown = set(doc) - _TOP - {"auth", "routes"}
    if unknown:
        raise PolicyError(f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    auth = doc.get("auth") or {}
    if not isinstance(auth, dict):
        raise PolicyError(f"{where}: auth must be a mapping")
    if set(auth) - _AUTH:
        raise PolicyError(f"{where}: auth: unknown keys {', '.join(sorted(map(str, set(auth) - _AUTH)))}")
    routes = []
    listed = doc.get("routes") or []
    if not isinstance(listed, list):
        raise PolicyError(f"{where}: routes must be a list")
    for i, r in enumerate(listed):
        if not isinstance(r, dict) or "path" not in r or set(r) - _ROUTE:
            raise PolicyError(f"{where}: routes[{i}] needs `path` and only {', '.join(sorted(_ROUTE))}")
        try:
            routes.append(RouteRule(**r))
        except (TypeError, ValueError) as e:  # the compiled dataclass checks each field's type
            raise PolicyError(f"{where}: routes[{i}]{_field_of(RouteRule, r, e, path='/')}: {e}") from e
    top = {k: v for k, v in doc.items() if k not in ("auth", "routes")}
    try:
        made_auth = AuthConfig(**auth)
    except (TypeError, ValueError) as e:
        raise PolicyError(f"{where}: auth{_field_of(AuthConfig, auth, e)}: {e}") from e
    try:
        return GuardConfig(**top, auth=made_auth, routes=routes)
    except (TypeError, ValueError) as e:
        name = _field_of(GuardConfig, top, e).lstrip(".")
        raise PolicyError(f"{where}: {name + ': ' if name else ''}{e}") from e


def _field_of(cls: Any, values: dict[str, Any], error: Exception, **required: Any) -> str:
    """`.name` of the first field whose value alone the class refuses, so the message names it
    (unless the error does already)."""
    for k, v in values.items():
        try:
            cls(**{**required, k: v})
        except (TypeError, ValueError):
            return "" if str(error).startswith(k) else f".{k}"
    return ""
