"""Turn the paths a user gives into the files to read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from apisentry.sources.problems import InputProblem

# Inside directories only files that look like logs are read; a file named explicitly is always read.
_LOG_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log")


def discover(paths: list[str], problems: list[InputProblem]) -> Iterator[str]:
    """Absolute paths: events keep their source file so raw records can be read back later,
    from whatever directory that happens in."""
    for given in paths:
        p = Path(given).absolute()
        if p.is_file():
            yield str(p)
        elif p.is_dir():
            # Sorted walk: the CloudTrail S3 layout (AWSLogs/<acct>/CloudTrail/<region>/Y/M/D/) is
            # read in time order per region, and runs are reproducible.
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name.lower().endswith(_LOG_SUFFIXES):
                        yield os.path.join(root, name)
        elif p.exists():
            problems.append(InputProblem(given, "", "not a regular file or directory"))
        else:
            problems.append(InputProblem(given, "", "no such file or directory"))
