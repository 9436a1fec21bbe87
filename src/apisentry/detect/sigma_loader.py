"""Loads SigmaHQ rules for our log sources and turns each into an engine Rule, or says why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from apisentry.detect.rules import Rule
from apisentry.detect.sigma_backend import LOGSOURCES, DuckDBBackend, to_condition

_LEVELS = {"informational": "info", "low": "low", "medium": "medium", "high": "high", "critical": "critical"}


@dataclass
class SigmaLoad:
    loaded: list[Rule] = field(default_factory=list)
    unsupported: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def per_folder(self, root: str) -> dict[str, tuple[int, int]]:
        """{folder: (loaded, unsupported)} relative to root, for the summary."""
        out: dict[str, list[int]] = {}
        for r in self.loaded:
            out.setdefault(_folder(r.path, root), [0, 0])[0] += 1
        for path, _ in self.unsupported:
            out.setdefault(_folder(path, root), [0, 0])[1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def _folder(path: str, root: str) -> str:
    try:
        return str(Path(path).parent.relative_to(root)) or "."
    except ValueError:
        return str(Path(path).parent)


def _techniques(rule: SigmaRule) -> list[str]:
    out = []
    for tag in rule.tags:
        if tag.namespace == "attack" and tag.name.lower().startswith("t"):
            out.append(tag.name.upper())
    return out


# SigmaHQ's rules are a few kilobytes, 86 YAML events at most, and use no aliases; a YAML alias
# bomb is a few hundred bytes that pySigma would expand into millions of values, each a clause of
# the SQL.
MAX_RULE_BYTES = 1 << 20
MAX_RULE_NODES = 100_000


def _rule_text(path: Path) -> str:
    data = path.read_bytes()
    if len(data) > MAX_RULE_BYTES:
        raise ValueError(f"{len(data):,} bytes, more than the {MAX_RULE_BYTES:,} a Sigma rule file may have")
    text = data.decode("utf-8")
    for nodes, event in enumerate(yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))):
        if isinstance(event, yaml.AliasEvent):
            raise ValueError("YAML aliases (`*name`) are not taken in Sigma rules: an alias bomb expands them a billionfold")
        if nodes > MAX_RULE_NODES:
            raise ValueError(f"more than {MAX_RULE_NODES:,} YAML nodes")
    return text


def load_sigma(directory: str) -> SigmaLoad:
    result = SigmaLoad()
    files = sorted(p for p in Path(directory).rglob("*") if p.suffix in (".yml", ".yaml"))
    backends: dict[str, DuckDBBackend] = {}
    for path in files:
        try:
            text = _rule_text(path)
            collection = SigmaCollection.from_yaml(text)
            rules = list(collection.rules)
        except (SigmaError, UnicodeDecodeError, OSError, ValueError) as e:
            result.unsupported.append((str(path), f"cannot parse: {e}"))
            continue
        except Exception as e:  # pySigma fails on YAML of the wrong shape in its own ways
            result.unsupported.append((str(path), f"cannot parse: not a Sigma rule ({type(e).__name__}: {str(e)[:120]})"))
            continue
        for rule in rules:
            if not isinstance(rule, SigmaRule):
                result.unsupported.append((str(path), "correlation rules are not supported"))
                continue
            ls = rule.logsource
            provider = LOGSOURCES.get(((ls.product or "").lower(), (ls.service or "").lower()))
            if provider is None:
                result.unsupported.append((str(path), f"log source {ls.product}/{ls.service} is not one "
                                           "apisentry ingests (CloudTrail, GCP audit, Azure activity)"))
                continue
            if provider not in backends:
                backends[provider] = DuckDBBackend(provider)
            backend = backends[provider]
            try:
                queries = backend.convert_rule(rule)  # type: ignore[no-untyped-call]
            except SigmaError as e:
                result.unsupported.append((str(path), f"cannot convert: {str(e).splitlines()[0]}"))
                continue
            except Exception as e:  # as above: a rule is user input to a third-party converter
                result.unsupported.append((str(path), f"cannot convert ({type(e).__name__}: {str(e)[:120]})"))
                continue
            condition = " OR ".join(f"({to_condition(q)})" for q in queries)
            result.loaded.append(Rule(
                id=f"sigma-{rule.id}" if rule.id else f"sigma-{path.stem}",
                title=rule.title or path.stem,
                description=(rule.description or "").strip(),
                severity=_LEVELS.get(str(rule.level.name).lower() if rule.level else "medium", "medium"),
                techniques=_techniques(rule),
                references=[str(r) for r in rule.references or []],
                provider=provider,
                condition=condition,
                source="sigma",
                path=str(path),
            ))
    return result
