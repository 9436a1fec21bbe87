"""The HTML reports opened in a real browser: Debian's Chromium, driven by Playwright. What logs,
traffic, policies and rule files sent stays text, a page loads and runs nothing, and it reads as
meant: endpoints and findings open on a click, long paths wrap instead of widening the page."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from typer.testing import CliRunner

from apisentry.cli.main import app

CHROMIUM = Path("/usr/bin/chromium")
# As the workplace runs it headless: without the background-networking flags Chromium keeps trying
# Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# A script in an attribute, a script element, and a way out of a quoted attribute.
XSS = "\"'><img src=x onerror=alert(1)><script>alert(2)</script>"
runner = CliRunner()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Opened:
    page: Page
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # url -> why the browser did not load it
    errors: list[str] = field(default_factory=list)

    def wide(self) -> bool:
        """Whether the page is wider than the window: a long path that does not wrap."""
        return bool(self.page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def open_page(browser: Browser, path: Path) -> Opened:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    o = Opened(page)
    page.on("dialog", lambda d: (o.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: o.requests.append(r.url))
    page.on("requestfailed", lambda r: o.failed.update({r.url: r.failure or ""}))
    # A script the policy refused, or a resource it blocked, is reported on the console as an error.
    page.on("console", lambda m: o.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: o.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return o


def assert_inert(o: Opened, path: Path) -> None:
    assert o.dialogs == [], "a script ran"
    assert o.requests == [path.as_uri()], "the page asked for something besides itself"
    assert o.errors == []


def _jwt(claims: dict[str, Any]) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{part}.c2ln"


def _entry(method: str, url: str, headers: dict[str, str], body: dict[str, Any] | None = None,
           response: dict[str, Any] | None = None) -> dict[str, Any]:
    req: dict[str, Any] = {"method": method, "url": url, "headers": [{"name": k, "value": v} for k, v in headers.items()]}
    if body is not None:
        req["postData"] = {"mimeType": "application/json", "text": json.dumps(body)}
    return {"startedDateTime": "2026-11-30T10:00:00.000Z", "request": req,
            "response": {"status": 200, "headers": [],
                         "content": {"mimeType": "application/json", "text": json.dumps(response or {})}}}


def test_the_inventory_page_shows_hostile_traffic_as_text_and_opens_each_endpoint(browser: Browser, tmp_path: Path) -> None:
    basic = "Basic " + base64.b64encode(f"{XSS}:pw".encode()).decode()
    long_name = "report-" + "x" * 3000  # one segment, no spaces or dashes to break it at
    entries = [
        _entry("POST", "https://api.example.com/api/v1/notes", {"authorization": basic}, {XSS: "hello", "title": "a"}),
        _entry("GET", f"https://api.example.com/api/v1/search?{quote(XSS, safe='')}=1", {"authorization": "Bearer " + _jwt({"sub": XSS})}),
        _entry("GET", f"https://api.example.com/api/v1/files/{long_name}", {}, response={"email": "ana@example.com"}),
    ] + [_entry("GET", f"https://api.example.com/api/v1/users/{n}", {"authorization": basic}) for n in (101, 202, 303, 404)]
    har = tmp_path / "hostile.har"
    har.write_text(json.dumps({"log": {"entries": entries}}))
    out = tmp_path / "inventory.html"
    r = runner.invoke(app, ["api", "inventory", str(har), "--format", "html", "--out", str(out)])
    assert r.exit_code == 0, r.stderr
    listed = json.loads(runner.invoke(app, ["api", "inventory", str(har), "--format", "json"]).stdout)["endpoints"]

    o = open_page(browser, out)
    assert_inert(o, out)
    assert not o.wide()
    page = o.page
    endpoints = page.locator("details.ep")
    assert endpoints.count() == len(listed) == 4
    notes = endpoints.filter(has_text="/api/v1/notes")
    # Closed, an endpoint shows its summary only; a click opens its parameters, callers and data.
    assert XSS not in page.inner_text("body")
    notes.locator("summary").click()
    shown = notes.inner_text()
    assert XSS in shown  # the body field's name and the Basic identity, both as text
    assert notes.locator("table tr", has_text="body").filter(has_text=XSS).count() == 1
    assert "identities" in shown and shown.count(XSS) == 2
    search = endpoints.filter(has_text="/api/v1/search")
    search.locator("summary").click()
    assert search.inner_text().count(XSS) == 2  # the query name and the token's subject
    files = endpoints.filter(has_text="/api/v1/files/")
    files.locator("summary").click()
    assert "email" in files.inner_text()
    assert not o.wide()  # the long path wraps, open or closed
    assert o.dialogs == [] and o.errors == []
    page.close()


def test_the_page_policy_stops_what_escaping_would_have_missed(browser: Browser, tmp_path: Path) -> None:
    """The pages' policy (`render.PAGE_POLICY`) tried in a browser on the page with markup put in
    unescaped, as a bug in a report could one day put it."""
    har = tmp_path / "t.har"
    har.write_text(json.dumps({"log": {"entries": [_entry("GET", "https://api.example.com/ping", {})]}}))
    out = tmp_path / "inventory.html"
    assert runner.invoke(app, ["api", "inventory", str(har), "--format", "html", "--out", str(out)]).exit_code == 0
    page = out.read_text()
    assert page.count('http-equiv="Content-Security-Policy"') == 1
    injected = tmp_path / "injected.html"
    injected.write_text(page.replace("</body>", '<script>alert(3)</script><img src="http://203.0.113.7/x.png">'
                                                '<a id="go" href="javascript:alert(4)">go</a></body>'))
    o = open_page(browser, injected)
    o.page.click("#go")
    assert o.dialogs == []
    assert o.requests == [injected.as_uri(), "http://203.0.113.7/x.png"]
    assert o.failed == {"http://203.0.113.7/x.png": "csp"}  # asked for, refused before it left
    # The script, the image and the link each refused, and said so.
    assert len(o.errors) == 3 and all("Content Security Policy" in e for e in o.errors)
    # Without the policy the same page runs the script: the check above is not Chromium's default.
    bare = tmp_path / "bare.html"
    bare.write_text(injected.read_text().replace('http-equiv="Content-Security-Policy"', 'name="unused"'))
    assert open_page(browser, bare).dialogs == ["3"]


def test_the_findings_page_shows_hostile_identities_and_rules_as_text(browser: Browser, tmp_path: Path) -> None:
    arn = f"arn:aws:iam::111122223333:user/{XSS}"
    records = [{"eventVersion": "1.08", "eventTime": f"2026-11-30T10:0{i}:00Z", "eventSource": "cloudtrail.amazonaws.com",
                "eventName": "StopLogging", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9",
                "userAgent": XSS, "eventID": f"00000000-0000-4000-8000-00000000000{i}", "recipientAccountId": "111122223333",
                "userIdentity": {"type": "IAMUser", "arn": arn, "accountId": "111122223333", "userName": XSS},
                "requestParameters": {"name": XSS}, "responseElements": None} for i in range(3)]
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "trail.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    (sigma / "stop.yml").write_text(f"""
title: {json.dumps("Sigma trail halted " + XSS)}
id: 4db60cc0-36fb-42b7-9b58-a5b53019fb74
logsource: {{product: aws, service: cloudtrail}}
detection:
  selection: {{eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}}
  condition: selection
level: high
references: ['javascript:alert(5)', 'https://attack.mitre.org/techniques/T1562/008/']
""")
    out = tmp_path / "findings.html"
    r = runner.invoke(app, ["analyze", str(logs), "--db", str(tmp_path / "a.duckdb"), "--sigma", str(sigma),
                            "--format", "html", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 loaded" in r.stderr
    o = open_page(browser, out)
    assert_inert(o, out)
    assert not o.wide()
    page = o.page
    findings = page.locator("details.f")
    assert findings.count() >= 2  # the built-in rule and the Sigma rule
    bars = page.locator("svg rect")
    assert bars.count() == findings.count()
    box = bars.first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0  # the timeline is drawn
    sig = findings.filter(has_text="Sigma trail halted")
    assert XSS in sig.locator("summary").inner_text()  # the rule's title and the identity
    sig.locator("summary").click()
    opened = sig.inner_text()
    assert "javascript:alert(5)" in opened and "00000000-0000-4000-8000-000000000000" in opened
    assert sig.locator("a").count() == 1  # only the web address is a link
    assert sig.locator("a").get_attribute("href") == "https://attack.mitre.org/techniques/T1562/008/"
    assert o.dialogs == [] and o.errors == []
    page.close()


def test_the_iam_page_shows_hostile_names_as_text(browser: Browser, tmp_path: Path) -> None:
    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    authz = {"UserDetailList": [{"UserName": XSS, "Arn": f"arn:aws:iam::111122223333:user/{XSS}",
                                 "UserPolicyList": [{"PolicyName": XSS, "PolicyDocument": admin}],
                                 "AttachedManagedPolicies": [], "GroupList": []}],
             "RoleDetailList": [], "GroupDetailList": [], "Policies": []}
    src = tmp_path / "authz.json"
    src.write_text(json.dumps(authz))
    out = tmp_path / "iam.html"
    r = runner.invoke(app, ["iam", "analyze", str(src), "--format", "html", "--out", str(out)])
    assert r.exit_code == 0, r.output
    o = open_page(browser, out)
    assert_inert(o, out)
    principals = o.page.locator("table").first.locator("tr")
    assert principals.count() == 2  # the header and the one user
    assert XSS in principals.nth(1).inner_text() and "yes" in principals.nth(1).inner_text()  # an admin
    o.page.close()
