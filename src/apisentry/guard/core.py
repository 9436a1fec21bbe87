"""Guard.inspect: one request in, one verdict out. Pure: no I/O; safe to call from any thread."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from apisentry.guard import auth, positive
from apisentry.guard.body_encoding import decoded_body
from apisentry.guard.config import GuardConfig
from apisentry.guard.model import Detection, HttpRequest, Verdict
from apisentry.guard.request_values import collect_values
from apisentry.guard.scanner import Scanner, value_scores
from apisentry.guard.spec import Spec, load_spec

log = logging.getLogger("apisentry.guard")


class Guard:
    def __init__(self, config: GuardConfig | None = None, spec: Spec | str | Path | None = None) -> None:
        self.config = config or GuardConfig()
        self.spec = load_spec(spec) if isinstance(spec, str | Path) else spec
        for warning in self.spec.warnings if self.spec else []:
            log.warning("spec: %s", warning)  # at start-up: what of the spec the guard does not check
        self.scanner = Scanner(disabled=frozenset(self.config.disabled_detectors))
        self._scanners: dict[frozenset[str], Scanner] = {}

    def inspect(self, req: HttpRequest) -> Verdict:
        rid = os.urandom(8).hex()
        try:
            return self._inspect(req, rid)
        except Exception as e:
            cfg = self.config
            action = "block" if cfg.fail_closed and cfg.mode == "block" else "allow"
            return Verdict(action, 0, [], rid, fault=f"{type(e).__name__}: {e}")

    def _scanner_for(self, disabled: list[str]) -> Scanner:
        if not disabled:
            return self.scanner
        key = frozenset(disabled) | frozenset(self.config.disabled_detectors)
        if key not in self._scanners:
            self._scanners[key] = Scanner(disabled=key)
        return self._scanners[key]

    def _inspect(self, req: HttpRequest, rid: str) -> Verdict:
        cfg = self.config
        rule = cfg.route_rule(req.method, req.path) if cfg.routes else None
        if rule is not None and rule.skip:
            return Verdict("allow", 0, [], rid)
        mode = (rule.mode if rule and rule.mode else cfg.mode)
        threshold = rule.block_threshold if rule and rule.block_threshold else cfg.block_threshold
        req, problem = decoded_body(req, cfg.max_body_bytes)
        parsed = collect_values(req, cfg)
        detections: list[Detection] = parsed.problems
        if problem is not None:
            detections.append(problem)
        detections.extend(self._scanner_for(rule.disabled_detectors if rule else []).scan(parsed.values))
        route = None
        op = None
        if self.spec is not None:
            op, found = positive.check(self.spec, req, parsed.body, parsed.cookies, parsed.query, parsed.repeated)
            detections.extend(found)
            route = op.template if op else None
        identity, found = auth.check(req, op, self.spec, cfg.auth, parsed.cookies, parsed.query)
        detections.extend(found)
        if rule and rule.disabled_detectors:
            detections = [d for d in detections if d.detector not in rule.disabled_detectors]
        scores = value_scores(detections)
        score = max(scores.values(), default=0)
        would_block = score >= threshold and not cfg.allowed_ip(req.client)
        action = "block" if would_block and mode == "block" else "allow"
        return Verdict(action, score, detections, rid, identity=identity, would_block=would_block, route=route)
