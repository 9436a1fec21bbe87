"""The API inventory as one self-contained HTML page: what was read, the findings, then every
endpoint with its parameters, callers and data. No scripts and no external assets, so the page
opens anywhere (a mail attachment, a ticket, a locked-down browser) and reads the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING, Any

from apisentry.model.findings import SEVERITIES
from apisentry.report.render import POLICY_META, severity_css

if TYPE_CHECKING:
    from apisentry.api.inventory import Endpoint
    from apisentry.api.traffic import ReadReport

# Per endpoint; the JSON output always carries every caller.
_MAX_CALLERS_SHOWN = 20


def endpoint_label(d: dict[str, Any], hosts: bool) -> str:
    """An endpoint (or a finding's) as reports show it: with its host when the traffic reached several."""
    return f"{d.get('host') or ''}{d['path'] or ''}" if hosts else d["path"] or ""


def several_hosts(endpoints: list[Endpoint]) -> bool:
    """Whether the reports name each endpoint's host: only when the traffic reached several."""
    return len({e.host for e in endpoints}) > 1


def _list(values: list[str]) -> str:
    return ", ".join(escape(v) for v in values) or "-"


def _spec_cell(d: dict[str, Any]) -> str:
    if d["in_spec"] is None:
        return "-"
    if not d["in_spec"]:
        return '<span class="bad">no (shadow)</span>'
    return '<span class="warn">deprecated</span>' if d["deprecated"] else "yes"


def _params(d: dict[str, Any]) -> str:
    if not d["params"]:
        return "<p>No query, header or body parameters seen.</p>"
    rows = "".join(f"<tr><td>{escape(p['in'])}</td><td><code>{escape(p['name'])}</code></td>"
                   f"<td>{escape(p.get('type') or '-')}</td><td>{escape(p.get('format') or '-')}</td>"
                   f"<td>{p.get('seen', '-')}</td></tr>" for p in d["params"])
    return f"<table><tr><th>in</th><th>name</th><th>type</th><th>format</th><th>calls with it</th></tr>{rows}</table>"


def _callers(values: list[str]) -> str:
    return _first(escape(v) for v in values)


def _first(items: Iterable[str]) -> str:
    """The first `_MAX_CALLERS_SHOWN` items of markup, and how many more there are."""
    items = list(items)
    shown = items[:_MAX_CALLERS_SHOWN]
    more = f" and {len(items) - len(shown)} more" if len(items) > len(shown) else ""
    return (", ".join(shown) + more) if shown else "-"


def _key(d: dict[str, Any]) -> tuple[Any, ...]:
    return d.get("method"), d.get("host"), d.get("path")


def _endpoint(d: dict[str, Any], hosts: bool, exposed: set[tuple[Any, ...]]) -> str:
    """`exposed`: the endpoints the findings say answer without the credentials they need; a
    login route that answers anyone is no finding, and is not marked."""
    sens = sorted(set(d["sensitive"]["receives"]) | set(d["sensitive"]["returns"]))
    statuses = " ".join(f"{escape(code)}×{n}" for code, n in d["status_codes"].items()) or "-"
    rate = f"{d['rate_per_min']}/min" if d["rate_per_min"] is not None else "-"
    return f"""<details class="ep"><summary><span class="m">{escape(d['method'])}</span>
<code>{escape(endpoint_label(d, hosts))}</code><span class="n">{d['calls']} call(s)</span>
<span class="n{' bad' if _key(d) in exposed else ''}">auth: {_list(d['auth'])}</span>
{f'<span class="n warn">data: {_list(sens)}</span>' if sens else ''}<span class="n">in spec: {_spec_cell(d)}</span></summary>
<table>
<tr><th>status codes</th><td>{statuses}</td></tr>
<tr><th>first / last seen</th><td>{escape(d['first_seen'] or '-')} / {escape(d['last_seen'] or '-')} ({rate})</td></tr>
<tr><th>receives</th><td>{_list(d['sensitive']['receives'])}</td></tr>
<tr><th>returns</th><td>{_list(d['sensitive']['returns'])}</td></tr>
<tr><th>identities</th><td>{_callers(d['callers']['identities'])}</td></tr>
<tr><th>clients</th><td>{_callers(d['callers']['clients'])}</td></tr>
{_graphql(d)}</table>
{_params(d)}</details>"""


def _graphql(d: dict[str, Any]) -> str:
    """GraphQL's operations and root fields, busiest first: one path holds the whole API."""
    g = d.get("graphql")
    if not g:
        return ""
    ops, fields = ([f"<code>{escape(k)}</code>×{n}" for k, n in c.items()] for c in (g["operations"], g["root_fields"]))
    unreadable = f" ({g['unreadable_queries']} unreadable)" if g["unreadable_queries"] else ""
    return (f"<tr><th>GraphQL operations</th><td>{_first(ops)}{unreadable}</td></tr>"
            f"<tr><th>GraphQL root fields</th><td>{_first(fields)}</td></tr>\n")


def _read(report: ReadReport | None) -> str:
    if report is None:
        return ""
    parts = [f"<p>{report.lines:,} record(s) read.</p>"]
    if report.ignored:
        parts.append("<p>Left out, no API calls: "
                     + escape(report.left_out()) + ".</p>")
    if report.skipped:
        rows = "".join(f"<tr><td>{n}</td><td>{escape(reason)}</td><td><code>{escape(report.examples[reason])}</code></td></tr>"
                       for reason, n in report.skipped.most_common())
        parts.append(f'<p class="warn">Skipped records:</p><table><tr><th>count</th><th>reason</th><th>first at</th></tr>'
                     f"{rows}</table>")
    return "".join(parts)


def inventory_html(endpoints: list[Endpoint], findings: list[dict[str, Any]], report: ReadReport | None = None,
                   title: str = "apisentry API inventory") -> str:
    dicts = [e.to_dict() for e in endpoints]
    hosts = several_hosts(endpoints)
    calls = sum(d["calls"] for d in dicts)
    kinds = Counter(f["kind"] for f in findings)
    # Shadow and orphan APIs are measured against a spec; without one there are none to count.
    compared = any(d["in_spec"] is not None for d in dicts)
    spec_counts = (f", {kinds['shadow']} shadow (in no spec), {kinds['orphan']} documented operation(s) never called"
                   if compared else "; no spec given, so no shadow or orphan APIs")
    exposed = {_key(f) for f in findings if f["kind"] in ("unauthenticated", "unauthenticated_sensitive")}
    by_sev = {s: sum(1 for f in findings if f["severity"] == s) for s in reversed(SEVERITIES)}
    pills = " ".join(f'<span class="pill {s}">{s}: {n}</span>' for s, n in by_sev.items() if n)
    colors = severity_css()
    frows = "".join(
        f'<tr class="{escape(f["severity"])}"><td class="sevcol"><span class="sev">{escape(f["severity"])}</span></td>'
        f'<td>{escape(f["category"])}</td><td>{escape(f["title"])}</td>'
        f'<td><code>{escape(f.get("method") or "")} {escape(endpoint_label(f, hosts))}</code></td><td>{escape(f["detail"])}</td></tr>'
        for f in findings)
    findings_html = (f"<table><tr><th>severity</th><th>category</th><th>finding</th><th>endpoint</th><th>detail</th></tr>"
                     f"{frows}</table>") if findings else "<p>No findings.</p>"
    host_list = sorted({d["host"] for d in dicts if d["host"]})
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{POLICY_META}
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#1d2330;padding:0 1rem}}
h1{{font-size:1.4rem}} table{{border-collapse:collapse;margin:.4rem 0}}
td,th{{border-bottom:1px solid #e3e6ec;padding:.25rem .6rem;text-align:left;vertical-align:top}} th{{color:#555}}
code{{overflow-wrap:anywhere}} td.sevcol{{white-space:nowrap}}
.pill{{padding:.15rem .5rem;border-radius:1rem;margin-right:.3rem}} .sev{{padding:.05rem .45rem;border-radius:4px;font-size:.8rem}}
{colors}
details.ep{{border:1px solid #d9dde5;border-radius:6px;margin:.3rem 0;padding:.3rem .7rem}} summary{{cursor:pointer}}
.m{{display:inline-block;min-width:4.2rem;font-weight:600}} .n{{color:#666;margin-left:.6rem}}
.bad{{color:#b00020;font-weight:600}} .warn{{color:#a05a00;font-weight:600}}
</style></head><body>
<h1>{escape(title)}</h1>
<p>{len(dicts):,} endpoint(s), {calls:,} call(s){f" on {len(host_list)} hosts: {_list(host_list)}" if hosts else ""}.
Findings: {kinds['unauthenticated_sensitive']} endpoint(s) answering without authentication with sensitive
data, {kinds['zombie']} zombie (deprecated or old version, still called){spec_counts}.</p>
{_read(report)}
<h2>Findings</h2><p>{len(findings)} finding(s) {pills}</p>{findings_html}
<h2>Endpoints</h2>{''.join(_endpoint(d, hosts, exposed) for d in dicts) or '<p>No endpoints.</p>'}
</body></html>"""
