"""Every SigmaHQ rule for our log sources either converts and runs, or is listed with a reason."""

from __future__ import annotations

import json

import pytest
from conftest import shared_path

from apisentry.detect.engine import detect
from apisentry.detect.sigma_loader import load_sigma
from apisentry.ingest import ingest
from apisentry.store import Store


@pytest.mark.parametrize(("folder", "min_loaded"), [(("sigma", "aws"), 57), (("sigma", "gcp"), 16),
                                                    (("sigma", "azure", "activity_logs"), 35)])
def test_every_rule_runs_or_is_explained(folder: tuple[str, ...], min_loaded: int) -> None:
    d = shared_path(*folder)
    load = load_sigma(str(d))
    total = len(list(d.rglob("*.yml")))
    assert len(load.loaded) + len(load.unsupported) == total
    assert len(load.loaded) >= min_loaded
    assert all(why for _, why in load.unsupported)
    with Store(":memory:") as store:
        report = detect(store, load.loaded)
    assert report.failed == [] and report.rules_run == len(load.loaded)


def test_sigma_fires_on_stratus_logs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    logs = shared_path("cloudtrail", "stratus-red-team", "detonation-logs")
    load = load_sigma(str(shared_path("sigma", "aws")))
    with Store(str(tmp_path / "s.duckdb")) as store:
        ingest(store, [str(logs / "aws.defense-evasion.cloudtrail-stop.json")])
        detect(store, load.loaded)
        hits = {f.title for f in store.findings()}
    assert any("CloudTrail" in h for h in hits), hits
    assert json.dumps(sorted(hits))
