"""Findings as a terminal table, JSON, OCSF Detection Finding, or one self-contained HTML page."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from apisentry.model.findings import SEVERITIES, Finding, Severity

_TERMINAL = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan",
             "info": "dim"}
_HEX = {"critical": "#7a0016", "high": "#c62828", "medium": "#ef8f00", "low": "#1e88e5", "info": "#777"}
_MAX_EVIDENCE_SHOWN = 200  # per finding in HTML; JSON and OCSF always carry every id
_MAX_TIMELINE_ROWS = 60


def _iso(v: datetime) -> str:
    # The store keeps naive UTC timestamps.
    return v.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(v: datetime) -> int:
    return int(v.replace(tzinfo=UTC).timestamp() * 1000)


def to_json(findings: list[Finding]) -> str:
    rows = [{k: _iso(v) if isinstance(v, datetime) else v for k, v in f.to_dict().items()} for f in findings]
    return orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()


def to_ocsf(findings: list[Finding]) -> str:
    """OCSF 1.3 Detection Finding (class_uid 2004), one object per finding."""
    out: list[dict[str, Any]] = []
    for f in findings:
        sev = Severity(f.severity)
        out.append({
            "class_uid": 2004, "class_name": "Detection Finding", "category_uid": 2,
            "activity_id": 1, "type_uid": 200401, "severity_id": sev.ocsf_id,
            "severity": sev.value.capitalize(), "status_id": 1, "time": _ms(f.first_seen),
            "metadata": {"version": "1.3.0", "product": {"name": "apisentry", "vendor_name": "apisentry"},
                         "uid": f.id},
            "finding_info": {
                "uid": f.id, "title": f.title, "desc": f.description,
                "analytic": {"uid": f.rule_id, "name": f.title, "type_id": 1, "type": "Rule"},
                "attacks": [{"technique": {"uid": t}} for t in f.techniques],
                "first_seen_time": _ms(f.first_seen), "last_seen_time": _ms(f.last_seen),
                "related_events": [{"uid": u} for u in f.event_ids],
            },
            "actor": {"user": {"uid": f.identity}},
            "cloud": {"provider": f.provider, "account": {"uid": f.account}, "region": f.region},
            "count": f.count,
        })
    return orjson.dumps(out, option=orjson.OPT_INDENT_2).decode()


def print_table(findings: list[Finding], console: Console) -> None:
    if not findings:
        console.print("[green]No findings.[/green]")
        return
    table = Table(title=f"{len(findings)} finding(s)", show_lines=False, expand=False)
    for col in ("severity", "rule", "identity", "account", "region", "first seen", "events"):
        table.add_column(col, overflow="fold")
    for f in findings:
        # Identities, accounts and Sigma titles come from logs and rule files: shown, never parsed as markup.
        table.add_row(f"[{_TERMINAL[f.severity]}]{f.severity}[/]", f"{escape(f.title)}\n[dim]{escape(f.rule_id)}[/dim]",
                      *(Text(v or "-") for v in (f.identity, f.account, f.region)), _iso(f.first_seen), str(f.count))
    console.print(table)


# Reports show what logs and traffic sent (paths, user names, parameter names): escaping keeps it
# text, and this policy keeps the page from running a script or loading anything should escaping
# ever miss a place. Styles are inline; the timeline is inline SVG.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
POLICY_META = f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">'


def severity_css() -> str:
    """The severity badges (`.sev` inside an element of the severity's class) and pills, for HTML pages."""
    return "\n".join(f".{s} .sev,.pill.{s}{{background:{c};color:#fff}}" for s, c in _HEX.items())


def _finding_html(f: Finding) -> str:
    e = html.escape
    evidence = "".join(f"<li><code>{e(u)}</code></li>" for u in f.event_ids[:_MAX_EVIDENCE_SHOWN])
    hidden = len(f.event_ids) - _MAX_EVIDENCE_SHOWN
    more = f"<li>… and {hidden} more</li>" if hidden > 0 else ""
    # A custom rule's reference is a link only if it is a web address: `javascript:` stays text.
    refs = "".join(f'<li><a href="{e(r)}">{e(r)}</a></li>' if r.startswith(("https://", "http://")) else f"<li>{e(r)}</li>"
                   for r in f.references)
    return f"""<details class="f {e(f.severity)}"><summary><span class="sev">{e(f.severity)}</span>
<b>{e(f.title)}</b> <span class="who">{e(f.identity or '-')}</span>
<span class="when">{_iso(f.first_seen)} · {f.count} event(s)</span></summary>
<p>{e(f.description)}</p>
<table><tr><th>rule</th><td>{e(f.rule_id)}</td></tr><tr><th>ATT&amp;CK</th><td>{e(', '.join(f.techniques))}</td></tr>
<tr><th>account / region</th><td>{e(f.account or '-')} / {e(f.region or '-')}</td></tr>
<tr><th>first / last seen</th><td>{_iso(f.first_seen)} / {_iso(f.last_seen)}</td></tr>
<tr><th>operations</th><td>{e(', '.join(f.operations))}</td></tr></table>
<p>Evidence (event ids):</p><ul class="ev">{evidence}{more}</ul>{f'<p>References:</p><ul>{refs}</ul>' if refs else ''}
</details>"""


def to_html(findings: list[Finding], title: str = "apisentry findings") -> str:
    """One file, no external assets: the timeline is inline SVG drawn from the findings."""
    e = html.escape
    counts = {s: sum(1 for f in findings if f.severity == s) for s in reversed(SEVERITIES)}
    summary = " ".join(f'<span class="pill {s}">{s}: {n}</span>' for s, n in counts.items() if n)
    colors = severity_css()
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{POLICY_META}
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}}
h1{{font-size:1.4rem}} .pill{{padding:.15rem .5rem;border-radius:1rem;margin-right:.3rem}}
{colors}
details.f{{border:1px solid #d9dde5;border-radius:6px;margin:.4rem 0;padding:.4rem .7rem}}
summary{{cursor:pointer}} .sev{{padding:.05rem .45rem;border-radius:4px;margin-right:.4rem;font-size:.8rem}}
.who{{color:#555;margin-left:.5rem}} .when{{color:#777;float:right}} th{{text-align:left;padding-right:1rem;color:#555}}
ul.ev{{columns:2;font-size:.8rem}} svg{{width:100%;height:auto;border:1px solid #eee;border-radius:6px}}
</style></head><body>
<h1>{e(title)}</h1><p>{len(findings)} finding(s) {summary}</p>
<h2>Timeline</h2>{_timeline_svg(findings)}
<h2>Findings</h2>{''.join(_finding_html(f) for f in findings) or '<p>No findings.</p>'}
</body></html>"""


def _timeline_svg(findings: list[Finding]) -> str:
    if not findings:
        return "<p>No events to chart.</p>"
    lo = min(f.first_seen for f in findings)
    hi = max(f.last_seen for f in findings)
    span = max((hi - lo).total_seconds(), 1.0)
    width, left, row_h = 1000, 10, 14
    shown = findings[:_MAX_TIMELINE_ROWS]
    bars = []
    for i, f in enumerate(shown):
        x1 = left + (f.first_seen - lo).total_seconds() / span * (width - 2 * left)
        x2 = left + (f.last_seen - lo).total_seconds() / span * (width - 2 * left)
        bars.append(f'<rect x="{x1:.1f}" y="{24 + i * row_h}" width="{max(x2 - x1, 4):.1f}" height="10" rx="2" '
                    f'fill="{_HEX[f.severity]}"><title>{html.escape(f.title)} '
                    f'({html.escape(f.identity or "-")})</title></rect>')
    note = (f'<p>Timeline shows the first {_MAX_TIMELINE_ROWS} of {len(findings)} findings.</p>'
            if len(findings) > _MAX_TIMELINE_ROWS else "")
    height = 34 + len(shown) * row_h
    return (f'<svg viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img">'
            f'<text x="{left}" y="14" font-size="11">{_iso(lo)}</text>'
            f'<text x="{width - left}" y="14" font-size="11" text-anchor="end">{_iso(hi)}</text>'
            f'{"".join(bars)}</svg>{note}')
