from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from apisentry.guard import Guard, HttpRequest

DATA = Path(__file__).parent.parent / "data" / "guard"


@pytest.fixture(scope="session")
def guard() -> Guard:
    return Guard()


def get(path: str = "/api/items", query: str = "", headers: list[tuple[str, str]] | None = None) -> HttpRequest:
    return HttpRequest("GET", path, query, headers or [("User-Agent", "pytest")])


def post_json(doc: object, path: str = "/api/items", headers: list[tuple[str, str]] | None = None) -> HttpRequest:
    return HttpRequest("POST", path, "", [("Content-Type", "application/json"), *(headers or [])], json.dumps(doc).encode())


def post_form(fields: dict[str, str], path: str = "/api/items") -> HttpRequest:
    return HttpRequest("POST", path, "", [("Content-Type", "application/x-www-form-urlencoded")],
                       urlencode(fields).encode())
