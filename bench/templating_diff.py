"""Which operations a change to the path templater fixes and which it breaks, by exact template.

The quality benchmark's totals hide a trade: a rule may fix ten operations and turn a real route
into a parameter elsewhere, and a route that no other operation's calls reach is then neither
split nor merged, only wrong. This compares, operation by operation, the template each call gets
from the working tree's templater and from a git revision's, on the benchmark's traffic (the same
generator, specs and seeds as bench/inventory_quality.py), and lists every operation whose calls
stopped getting exactly the right template.

    python bench/templating_diff.py BASE [--seeds 9 21 33 45 57] [--specs 1000] [--calls 5]
                                         [--values fresh] [--skew]

Needs the specs from `make bench-deps`. Both trees run as plain Python, copied without compiled
modules, so an edit not yet built counts.
Traffic is generated once per seed and kept in bench/.cache/traffic/; the generator makes the
same traffic from the same seed, on any day.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, ".cache", "traffic")
sys.path.insert(0, HERE)
from openapi_traffic import VALUE_STYLES, generate  # noqa: E402


def traffic_file(seed: int, specs: int, calls: int, values: str, skew: bool) -> str:
    """The seed's traffic as {api: [calls]}, generated on first use. The generator's own source
    is part of the name: a change to it makes other traffic from the same seed."""
    with open(os.path.join(HERE, "openapi_traffic.py"), "rb") as f:
        generator = hashlib.sha256(f.read()).hexdigest()[:12]
    path = os.path.join(CACHE, f"{seed}_{specs}_{calls}_{values}{'_skew' if skew else ''}_{generator}.pkl")
    if not os.path.exists(path):
        by_spec: dict[str, list[object]] = defaultdict(list)
        for c in generate(n_specs=specs, seed=seed, per_op=calls, values=values, skew=skew):
            by_spec[c.spec].append(c)
        os.makedirs(CACHE, exist_ok=True)
        with open(path + ".part", "wb") as f:
            pickle.dump(dict(by_spec), f)
        os.replace(path + ".part", path)
    return path


def judge(src: str, files: list[str]) -> dict[str, dict[str, list[object]]]:
    """Per traffic file, per operation: whether every call got exactly the operation's template,
    and the templates they got (a few), from the templater in `src`."""
    sys.path.insert(0, src)
    from apisentry.api import templating
    from apisentry.api.templating import Templater

    assert (templating.__file__ or "").startswith(src), f"templater imported from {templating.__file__}, not {src}"

    # After the tree's own package is imported: inventory_quality puts the checkout's `src` first.
    sys.path.insert(1, HERE)
    from inventory_quality import norm

    out: dict[str, dict[str, list[object]]] = {}
    for name in files:
        with open(name, "rb") as f:
            by_spec = pickle.load(f)  # our own cache, written by traffic_file
        ops: dict[str, list[object]] = {}
        for api, calls in by_spec.items():
            templ = Templater([c.path for c in calls])
            got: dict[tuple[str, str], set[str]] = defaultdict(set)
            for c in calls:
                got[(c.method, norm(c.observable or c.template))].add(templ.template(c.path))
            for (method, truth), templates in got.items():
                exact = len(templates) == 1 and norm(next(iter(templates))) == truth
                ops[f"{api.split('/api/')[-1]} {method} {truth}"] = [exact, sorted(templates)[:3]]
        out[name] = ops
    return out


def _tree(rev: str | None, into: str) -> str:
    """A copy of `src` without compiled modules: the working tree's, or a revision's."""
    if rev is None:
        shutil.copytree(os.path.join(ROOT, "src"), os.path.join(into, "src"), ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    else:
        archive = subprocess.run(["git", "-C", ROOT, "archive", rev, "src"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return os.path.join(into, "src")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base", help="git revision to compare the working tree's templater against")
    ap.add_argument("--seeds", type=int, nargs="+", default=[9, 21, 33, 45, 57])
    ap.add_argument("--specs", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--values", choices=VALUE_STYLES, default="fresh")
    ap.add_argument("--skew", action="store_true")
    a = ap.parse_args()
    files = [traffic_file(s, a.specs, a.calls, a.values, a.skew) for s in a.seeds]
    with tempfile.TemporaryDirectory(prefix="apisentry-tdiff-") as work:
        trees = [_tree(a.base, tempfile.mkdtemp(dir=work)), _tree(None, tempfile.mkdtemp(dir=work))]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        runs = [subprocess.Popen([sys.executable, __file__, JUDGE, t, *files], stdout=subprocess.PIPE, env=env)
                for t in trees]  # side by side: one per core
        outs = [p.communicate()[0] for p in runs]
        if any(p.returncode for p in runs):
            sys.exit("a tree failed to template the traffic (its error is above)")
        before, after = (json.loads(o) for o in outs)
    fixed: Counter[str] = Counter()
    broken = []
    for name in files:
        for op, (was, templates) in after[name].items():
            if before[name][op][0] == was:
                continue
            if was:
                fixed[op.split(" ", 1)[0]] += 1
            else:
                broken.append((os.path.basename(name), op, before[name][op][1], templates))
    for name, op, was, now in broken:
        print(f"broken  {name}  {op}\n        {was} -> {now}")
    print(f"\nfixed by API: {', '.join(f'{api} {n}' for api, n in fixed.most_common())}" if fixed else "")
    print(f"{sum(fixed.values())} operations fixed, {len(broken)} broken, over seeds "
          f"{', '.join(map(str, a.seeds))} ({a.specs} specs, {a.calls} calls, {a.values} values"
          f"{', skewed' if a.skew else ''}); working tree against {a.base}")


# The child's own command line: judge the traffic files in the tree whose `src` is given.
JUDGE = "--judge-in"

if __name__ == "__main__":
    if sys.argv[1:2] == [JUDGE]:
        json.dump(judge(sys.argv[2], sys.argv[3:]), sys.stdout)
    else:
        main()
