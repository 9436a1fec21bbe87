"""`apisentry iam ...`: least privilege for cloud identities."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from apisentry.iam.simulate import CaseError, run_cases

iam_app = typer.Typer(no_args_is_help=True, help="IAM: evaluate policies the way AWS does.")
err = Console(stderr=True, soft_wrap=True)


def _load(path: Path, what: str) -> object:
    try:
        return json.loads(path.read_text())
    except OSError as e:
        err.print(f"[red]{escape(str(path))}: cannot read: {escape(e.strerror or str(e))}[/red]")
    except ValueError as e:
        err.print(f"[red]{escape(str(path))}: {what} is not JSON: {escape(str(e))}[/red]")
    raise typer.Exit(2)


@iam_app.command()
def simulate(
    cases: Annotated[Path | None, typer.Option("--cases", help="JSON array of evaluation cases.")] = None,
    principal: Annotated[str | None, typer.Option("--principal", help="Caller ARN (single-case form).")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. s3:GetObject")] = None,
    resource: Annotated[str, typer.Option("--resource", help="Resource ARN.")] = "*",
    policy: Annotated[list[Path] | None, typer.Option("--policy", help="Identity policy JSON (repeatable).")] = None,
    resource_policy: Annotated[Path | None, typer.Option("--resource-policy", help="Resource policy JSON.")] = None,
    boundary: Annotated[list[Path] | None, typer.Option("--boundary", help="Permission boundary JSON.")] = None,
    context: Annotated[list[str] | None, typer.Option("--context", help="Condition key=value (repeatable).")] = None,
) -> None:
    """Print the decision (Allowed, ImplicitlyDenied or ExplicitlyDenied) for each case, with the
    statements that decided it."""
    if cases is not None:
        batch = _load(cases, "the cases file")
    elif principal and action:
        ctx: dict[str, list[str]] = {}
        for kv in context or []:
            k, sep, v = kv.partition("=")
            if not sep:
                err.print(f"[red]--context {escape(kv)}: expected key=value[/red]")
                raise typer.Exit(2)
            ctx.setdefault(k, []).append(v)
        batch = [{"name": "cli", "request": {"principal": principal, "action": action, "resource": resource,
                                             "context": {k: v[0] if len(v) == 1 else v for k, v in ctx.items()}},
                  "identity_policies": [_load(p, "the policy") for p in policy or []],
                  "resource_policy": _load(resource_policy, "the resource policy") if resource_policy else None,
                  "permission_boundaries": [_load(p, "the boundary") for p in boundary or []]}]
    else:
        err.print("[red]give --cases FILE, or --principal and --action[/red]")
        raise typer.Exit(2)
    try:
        results = run_cases(batch)
    except CaseError as e:
        err.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
    sys.stdout.buffer.write(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    bad = [r for r in results if "error" in r]
    for r in bad:
        err.print(f"[yellow]{escape(str(r['error']))}[/yellow]")
    if bad:
        raise typer.Exit(1)
