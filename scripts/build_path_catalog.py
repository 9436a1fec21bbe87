"""Build src/apisentry/iam/data/pathfinding-paths.json from pathfinding.cloud's path YAMLs
(Apache-2.0, Datadog): id, name, category, services, required permissions, and the text a finding
quotes. Run again when the catalogue changes:

    python scripts/build_path_catalog.py ../shared/data/iam/pathfinding.cloud/paths
"""

from __future__ import annotations

import glob
import json
import os
import sys

import yaml

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "apisentry", "iam", "data", "pathfinding-paths.json")


def main(folder: str) -> None:
    paths = []
    for f in sorted(glob.glob(os.path.join(folder, "*", "*.yaml"))):
        with open(f) as fh:
            d = yaml.safe_load(fh)
        req = [p["permission"] for p in (d.get("permissions") or {}).get("required") or []]
        paths.append({"id": d["id"], "name": d["name"], "category": d["category"], "services": d.get("services") or [],
                      "required": req, "description": " ".join(str(d.get("description", "")).split()),
                      "recommendation": " ".join(str(d.get("recommendation", "")).split()),
                      "reference": f"https://pathfinding.cloud/paths/{d['id']}"})
    with open(OUT, "w") as fh:
        json.dump({"source": "pathfinding.cloud (Apache-2.0, Datadog)", "paths": paths}, fh, indent=1)
    print(f"{len(paths)} paths -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
