"""`apisentry guard ...`: the inline guard from the command line."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape

guard_app = typer.Typer(no_args_is_help=True, help="The inline guard: replay traffic through it.")
err = Console(stderr=True, soft_wrap=True)  # one problem a line, whatever the width


@guard_app.command()
def replay(file: Annotated[Path, typer.Argument(help="JSON Lines of requests, or a HAR file.")],
           spec: Annotated[Path | None, typer.Option("--spec", help="OpenAPI 3.x / Swagger 2.0 file (positive model).")] = None,
           config: Annotated[Path | None, typer.Option("--config", help="Guard policy YAML.")] = None,
           format: Annotated[str, typer.Option("--format", help="json (JSON Lines, the only format).")] = "json",
           ) -> None:
    """Print one verdict per request as JSON Lines; a summary goes to stderr."""
    # Imported here: `apisentry` starts faster when a command does not need the guard.
    from apisentry.guard.config import GuardConfig, PolicyError, load_policy
    from apisentry.guard.core import Guard
    from apisentry.guard.events import verdict_dict
    from apisentry.guard.replay import ReplayProblem, read_requests
    from apisentry.guard.spec import SpecError, load_spec

    if format != "json":
        err.print(f"[red]unknown format {escape(format)}: only json[/red]")
        raise typer.Exit(2)
    try:
        cfg = load_policy(config) if config else GuardConfig()
        guard = Guard(cfg, load_spec(spec) if spec else None)
    except (PolicyError, SpecError) as e:
        err.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
    if not file.is_file():
        err.print(f"[red]{escape(str(file))}: no such file[/red]")
        raise typer.Exit(2)
    problems: list[ReplayProblem] = []
    actions: Counter[str] = Counter()
    detectors: Counter[str] = Counter()
    out = sys.stdout.buffer
    for index, req in read_requests(file, problems):
        v = guard.inspect(req)
        d = verdict_dict(v)
        line = {"index": index, "action": v.action, "score": v.score,
                "detections": [{k: det[k] for k in ("detector", "category", "cwe", "location", "evidence", "message")}
                               for det in d["detections"]],
                "route": v.route, "identity": v.identity, "request_id": v.request_id}
        if v.fault:
            line["fault"] = v.fault
        out.write(orjson.dumps(line) + b"\n")
        actions[v.action] += 1
        detectors.update({det.detector for det in v.detections})
    out.flush()
    total = sum(actions.values())
    err.print(f"{total} requests: {actions['block']} blocked, {actions['allow']} allowed"
              + (f"; detections by detector: {', '.join(f'{k} {n}' for k, n in detectors.most_common())}" if detectors else ""))
    for p in problems[:50]:
        err.print(f"[yellow]{escape(str(file))}: {escape(p.where)}: {escape(p.why)}[/yellow]")
    if len(problems) > 50:
        err.print(f"[yellow]... and {len(problems) - 50} more problems[/yellow]")
    if problems:
        raise typer.Exit(1)
