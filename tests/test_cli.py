"""The command-line contract other tools rely on: commands, JSON fields, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from apisentry.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
runner = CliRunner()


def test_analyze_samples_json(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    res = runner.invoke(app, ["analyze", str(SAMPLES), "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    findings = json.loads(res.stdout)
    assert {"aws-cloudtrail-stop-logging", "gcp-logging-sink-deleted", "azure-vm-run-command"} <= {
        f["rule_id"] for f in findings}
    for f in findings:
        for key in ("id", "rule_id", "title", "severity", "techniques", "identity", "account", "region",
                    "first_seen", "last_seen", "count", "event_ids"):
            assert key in f
        assert f["severity"] in ("info", "low", "medium", "high", "critical")
        assert len(f["event_ids"]) == f["count"]
    # The evidence traces back to real stored events.
    stop = next(f for f in findings if f["rule_id"] == "aws-cloudtrail-stop-logging")
    from apisentry.store import Store
    with Store(str(db)) as s:
        rows = s.run("SELECT api_operation FROM events WHERE uid = ?", [stop["event_ids"][0]])
    assert rows == [("StopLogging",)]


def test_findings_formats(tmp_path: Path) -> None:
    db = str(tmp_path / "a.duckdb")
    assert runner.invoke(app, ["ingest", str(SAMPLES), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["detect", "--db", db]).exit_code == 0
    ocsf = json.loads(runner.invoke(app, ["findings", "--db", db, "--format", "ocsf"]).stdout)
    assert ocsf and all(o["class_uid"] == 2004 and o["finding_info"]["related_events"] for o in ocsf)
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["findings", "--db", db, "--format", "html", "--out", str(out)])
    assert res.exit_code == 0
    page = out.read_text()
    assert "<svg" in page and "CloudTrail logging stopped" in page
    assert "http://" not in page.split("<body>")[0] and "<script src" not in page  # self-contained
    table = runner.invoke(app, ["findings", "--db", db])
    assert "CloudTrail logging stopped" in table.stdout


def test_exit_status_one_when_input_skipped(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    res = runner.invoke(app, ["ingest", str(bad), str(SAMPLES / "gcp"), "--db", str(tmp_path / "a.duckdb")])
    assert res.exit_code == 1
    assert "bad.json" in res.stderr and "not JSON" in res.stderr


def test_usage_error_is_two(tmp_path: Path) -> None:
    res = runner.invoke(app, ["findings", "--format", "yaml", "--db", str(tmp_path / "a.duckdb")])
    assert res.exit_code == 2


def test_sigma_counts_printed(tmp_path: Path) -> None:
    sig = tmp_path / "sigma"
    sig.mkdir()
    (sig / "stop.yml").write_text("""
title: CloudTrail stop
id: 4db60cc0-36fb-42b7-9b58-a5b53019fb74
logsource: {product: aws, service: cloudtrail}
detection:
  selection: {eventSource: cloudtrail.amazonaws.com, eventName: stoplogging}
  condition: selection
level: high
tags: [attack.t1562.008]
""")
    (sig / "okta.yml").write_text("""
title: Okta thing
logsource: {product: okta, service: okta}
detection: {selection: {eventType: x}, condition: selection}
""")
    db = str(tmp_path / "a.duckdb")
    runner.invoke(app, ["ingest", str(SAMPLES), "--db", db])
    res = runner.invoke(app, ["detect", "--db", db, "--sigma", str(sig)])
    assert res.exit_code == 0, res.output
    assert "sigma .: 1 loaded, 1 unsupported" in res.stderr
    findings = json.loads(runner.invoke(app, ["findings", "--db", db, "--format", "json"]).stdout)
    # Case-insensitive, as Sigma specifies: 'stoplogging' matches StopLogging.
    assert any(f["rule_id"] == "sigma-4db60cc0-36fb-42b7-9b58-a5b53019fb74" for f in findings)


def test_entry_point_runs() -> None:
    res = subprocess.run([sys.executable, "-m", "apisentry.cli.main", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("apisentry ")


def test_user_data_is_not_rich_markup(tmp_path: Path) -> None:
    bad = tmp_path / "[bold]evil[red].json"
    bad.write_text("{nope")
    res = runner.invoke(app, ["ingest", str(bad), "--db", str(tmp_path / "a.duckdb")])
    assert res.exit_code == 1
    assert "[bold]evil[red].json" in res.stderr


def test_table_to_file(tmp_path: Path) -> None:
    db = str(tmp_path / "a.duckdb")
    runner.invoke(app, ["analyze", str(SAMPLES), "--db", db, "--format", "json"])
    out = tmp_path / "t.txt"
    res = runner.invoke(app, ["findings", "--db", db, "--format", "table", "--out", str(out)])
    assert res.exit_code == 0
    text = out.read_text()
    assert "CloudTrail logging stopped" in text and not text.lstrip().startswith("[")
