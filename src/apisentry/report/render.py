"""Findings as a terminal table, JSON, OCSF Detection Finding, or one self-contained HTML page."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from apisentry.model.findings import Severity

_COLORS = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan",
           "info": "dim"}


def _iso(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    return v


def to_json(findings: list[dict[str, Any]]) -> str:
    rows = [{k: _iso(v) for k, v in f.items()} for f in findings]
    return orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()


def to_ocsf(findings: list[dict[str, Any]]) -> str:
    """OCSF 1.3 Detection Finding (class_uid 2004), one object per finding."""
    out = []
    for f in findings:
        sev = Severity(f["severity"])
        first = f["first_seen"]
        out.append({
            "class_uid": 2004, "class_name": "Detection Finding", "category_uid": 2,
            "activity_id": 1, "type_uid": 200401, "severity_id": sev.ocsf_id,
            "severity": sev.value.capitalize(), "status_id": 1,
            "time": int(first.timestamp() * 1000) if isinstance(first, datetime) else None,
            "metadata": {"version": "1.3.0", "product": {"name": "apisentry", "vendor_name": "apisentry"},
                         "uid": f["id"]},
            "finding_info": {
                "uid": f["id"], "title": f["title"], "desc": f.get("description"),
                "analytic": {"uid": f["rule_id"], "name": f["title"], "type_id": 1, "type": "Rule"},
                "attacks": [{"technique": {"uid": t}} for t in f.get("techniques") or []],
                "first_seen_time": _ms(f["first_seen"]), "last_seen_time": _ms(f["last_seen"]),
                "related_events": [{"uid": u} for u in f.get("event_ids") or []],
            },
            "actor": {"user": {"uid": f.get("identity")}},
            "cloud": {"provider": f.get("provider"), "account": {"uid": f.get("account")},
                      "region": f.get("region")},
            "count": f.get("count"),
        })
    return orjson.dumps(out, option=orjson.OPT_INDENT_2).decode()


def _ms(v: Any) -> int | None:
    return int(v.timestamp() * 1000) if isinstance(v, datetime) else None


def print_table(findings: list[dict[str, Any]], console: Console) -> None:
    if not findings:
        console.print("[green]No findings.[/green]")
        return
    table = Table(title=f"{len(findings)} finding(s)", show_lines=False, expand=False)
    for col in ("severity", "rule", "identity", "account", "region", "first seen", "events"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(f"[{_COLORS[f['severity']]}]{f['severity']}[/]", f"{f['title']}\n[dim]{f['rule_id']}[/dim]",
                      f.get("identity") or "-", f.get("account") or "-", f.get("region") or "-",
                      _iso(f["first_seen"]) or "-", str(f["count"]))
    console.print(table)


def to_html(findings: list[dict[str, Any]], title: str = "apisentry findings") -> str:
    """One file, no external assets: the timeline is inline SVG drawn from the findings."""
    e = html.escape
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("critical", "high", "medium", "low", "info")}
    rows = []
    for f in findings:
        evidence = "".join(f"<li><code>{e(u)}</code></li>" for u in f["event_ids"][:200])
        more = f"<li>… and {len(f['event_ids']) - 200} more</li>" if len(f["event_ids"]) > 200 else ""
        techniques = ", ".join(e(t) for t in f.get("techniques") or [])
        refs = "".join(f'<li><a href="{e(r)}">{e(r)}</a></li>' for r in f.get("references") or [])
        rows.append(f"""<details class="f {e(f['severity'])}"><summary><span class="sev">{e(f['severity'])}</span>
<b>{e(f['title'])}</b> <span class="who">{e(f.get('identity') or '-')}</span>
<span class="when">{e(str(_iso(f['first_seen'])))} · {f['count']} event(s)</span></summary>
<p>{e(f.get('description') or '')}</p>
<table><tr><th>rule</th><td>{e(f['rule_id'])}</td></tr><tr><th>ATT&amp;CK</th><td>{techniques}</td></tr>
<tr><th>account / region</th><td>{e(f.get('account') or '-')} / {e(f.get('region') or '-')}</td></tr>
<tr><th>first / last seen</th><td>{e(str(_iso(f['first_seen'])))} / {e(str(_iso(f['last_seen'])))}</td></tr>
<tr><th>operations</th><td>{e(', '.join(f.get('operations') or []))}</td></tr></table>
<p>Evidence (event ids):</p><ul class="ev">{evidence}{more}</ul>{f'<p>References:</p><ul>{refs}</ul>' if refs else ''}
</details>""")
    summary = " ".join(f'<span class="pill {s}">{s}: {n}</span>' for s, n in counts.items() if n)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}}
h1{{font-size:1.4rem}} .pill{{padding:.15rem .5rem;border-radius:1rem;margin-right:.3rem;color:#fff}}
.critical .sev,.pill.critical{{background:#7a0016;color:#fff}} .high .sev,.pill.high{{background:#c62828;color:#fff}}
.medium .sev,.pill.medium{{background:#ef8f00;color:#fff}} .low .sev,.pill.low{{background:#1e88e5;color:#fff}}
.info .sev,.pill.info{{background:#777;color:#fff}}
details.f{{border:1px solid #d9dde5;border-radius:6px;margin:.4rem 0;padding:.4rem .7rem}}
summary{{cursor:pointer}} .sev{{padding:.05rem .45rem;border-radius:4px;margin-right:.4rem;font-size:.8rem}}
.who{{color:#555;margin-left:.5rem}} .when{{color:#777;float:right}} th{{text-align:left;padding-right:1rem;color:#555}}
ul.ev{{columns:2;font-size:.8rem}} svg{{width:100%;height:auto;border:1px solid #eee;border-radius:6px}}
</style></head><body>
<h1>{e(title)}</h1><p>{len(findings)} finding(s) {summary}</p>
<h2>Timeline</h2>{_timeline_svg(findings)}
<h2>Findings</h2>{''.join(rows) or '<p>No findings.</p>'}
</body></html>"""


def _timeline_svg(findings: list[dict[str, Any]]) -> str:
    times = [f["first_seen"] for f in findings if isinstance(f["first_seen"], datetime)]
    if not times:
        return "<p>No events to chart.</p>"
    lo, hi = min(times), max(f["last_seen"] for f in findings if isinstance(f["last_seen"], datetime))
    span = max((hi - lo).total_seconds(), 1.0)
    width, left, row_h = 1000, 10, 14
    colors = {"critical": "#7a0016", "high": "#c62828", "medium": "#ef8f00", "low": "#1e88e5", "info": "#777"}
    shown = findings[:60]
    bars = []
    for i, f in enumerate(shown):
        x1 = left + (f["first_seen"] - lo).total_seconds() / span * (width - 2 * left)
        x2 = left + (f["last_seen"] - lo).total_seconds() / span * (width - 2 * left)
        y = 24 + i * row_h
        bars.append(f'<rect x="{x1:.1f}" y="{y}" width="{max(x2 - x1, 4):.1f}" height="10" rx="2" '
                    f'fill="{colors[f["severity"]]}"><title>{html.escape(f["title"])} '
                    f'({html.escape(str(f.get("identity")))})</title></rect>')
    height = 34 + len(shown) * row_h
    return (f'<svg viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img">'
            f'<text x="{left}" y="14" font-size="11">{_iso(lo)}</text>'
            f'<text x="{width - left}" y="14" font-size="11" text-anchor="end">{_iso(hi)}</text>'
            f'{"".join(bars)}</svg>')
