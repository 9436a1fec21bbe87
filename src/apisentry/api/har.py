"""HAR files (browsers' and proxies' captures), streamed one entry at a time."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import ijson

from apisentry.api.json_text import CleanText, parse_error
from apisentry.api.traffic import (
    MAX_BODY,
    NotAMethod,
    Observation,
    ReadReport,
    UnreadableURL,
    observation,
    parse_json,
    parse_time,
)
from apisentry.sources.long_strings import MAX_STRING
from apisentry.sources.sniff import open_bytes


def _har_entries(path: Path, report: ReadReport) -> Iterator[Any]:
    """The file's entries, streamed one at a time, so a HAR of any size reads in little memory.
    A HAR cut off mid-write (a browser closed during export, a full disk) or broken part-way keeps
    every complete entry before the break."""
    kept = 0
    broken = False
    stream, _ = open_bytes(path)
    with stream:
        clean = CleanText(stream)
        try:
            for entry in ijson.items(clean, "log.entries.item", use_float=True):
                kept += 1
                yield entry
        except ijson.JSONError as e:
            broken = True
            why = parse_error(e)
            reason = "HAR file cut off" if "premature EOF" in why or why == "end of file" else "HAR file broken"
            report.skip(f"{reason}: the complete entries before the break are kept", f"{path}: after entry {kept} ({why})")
        if clean.replaced:
            report.skip("HAR file with binary bytes in its text: read with replacement characters", str(path))
        if clean.cut:
            report.skip(f"HAR text longer than {MAX_STRING:,} bytes cut short: its entries were read", str(path))
    if not kept and not broken and not _has_entries(path):
        report.skip("not a HAR file: no list at log.entries", str(path))


def _has_entries(path: Path) -> bool:
    stream, _ = open_bytes(path)
    with stream:
        try:
            return any(prefix == "log.entries" and event == "start_array"
                       for prefix, event, _ in ijson.parse(CleanText(stream)))
        except ijson.JSONError:
            return False


def _request_body(post: dict[str, Any]) -> Any:
    """A JSON body, or a form's fields (`user=ana&password=…`, a login's usual shape) as an object."""
    mime = str(post.get("mimeType", "")).lower()
    text = post.get("text")
    if "json" in mime:
        return parse_json(text)
    if "x-www-form-urlencoded" in mime:
        if isinstance(text, str) and len(text) <= MAX_BODY:
            return dict(parse_qsl(text, keep_blank_values=True))
        params = post.get("params")  # some exporters give the fields only
        if isinstance(params, list):
            return {str(p.get("name")): str(p.get("value", "")) for p in params if isinstance(p, dict) and p.get("name")}
    return None


# What a browser loads besides API calls: by Chrome's and Firefox's `_resourceType`, else by the
# `Sec-Fetch-Dest` the browser sent (a proxy's capture has no `_resourceType`). A client that is no
# browser sends neither, and all it calls is kept: an API may serve images or scripts too.
_ASSET_TYPES = {"document": "pages", "iframe": "pages", "frame": "pages", "script": "scripts", "stylesheet": "styles",
                "style": "styles", "image": "images", "imageset": "images", "font": "fonts", "media": "media",
                "audio": "media", "video": "media", "track": "media", "texttrack": "media", "manifest": "manifests",
                "worker": "scripts", "sharedworker": "scripts", "serviceworker": "scripts"}


def _browser_asset(entry: dict[str, Any]) -> str | None:
    """What kind of asset an entry is, or None for what may be an API call (XHR, fetch, a proxy's
    entry of another client)."""
    rtype = entry.get("_resourceType")
    dest = accept = ""
    for h in entry["request"].get("headers") or []:  # the two headers wanted, without a dict of all
        name = str(h.get("name", "")).lower() if isinstance(h, dict) else ""
        if name == "sec-fetch-dest":
            dest = str(h.get("value", ""))
        elif name == "accept":
            accept = str(h.get("value", ""))
    kind = rtype if isinstance(rtype, str) and rtype else dest
    found = _ASSET_TYPES.get(kind.lower())
    if found is None and not kind and accept.startswith("text/html"):
        media = str(((entry.get("response") or {}).get("content") or {}).get("mimeType") or "")
        found = "pages" if media.startswith("text/html") else None  # a navigation that got a page
    return f"browser {found}" if found else None


# What a browser's capture holds besides network requests: object URLs of the page's own data
# (`blob:`), inline data (`data:`), extensions' files (`chrome-extension:`, `moz-extension:`).
_WEB_SCHEMES = ("http", "https", "ws", "wss")
NOT_HTTP = "URLs of no HTTP request (blob:, data:, extensions)"


def _scheme(url: str) -> str:
    head, colon, _ = url.partition(":")
    return head.strip().lower() if colon and "/" not in head else ""


def read_har(path: Path, report: ReadReport) -> Iterator[Observation]:
    for i, entry in enumerate(_har_entries(path, report)):
        report.lines += 1
        try:
            req = entry["request"]
            if (asset := _browser_asset(entry)) is not None:
                report.ignored[asset] += 1
                continue
            url = req["url"]
            if isinstance(url, str) and not url.strip():
                report.skip("HAR entry with an empty URL", f"{path}: entry {i}")
                continue
            if isinstance(url, str) and _scheme(url) not in ("", *_WEB_SCHEMES):
                report.ignored[NOT_HTTP] += 1
                continue
            headers = {h["name"]: h["value"] for h in req.get("headers") or []}
            post = req.get("postData") or {}
            if len(str(post.get("text") or "")) > MAX_BODY:
                report.skip(f"request body over {MAX_BODY} bytes: endpoint kept, body not classified", f"{path}: entry {i}")
            body = _request_body(post)
            resp = entry.get("response") or {}
            content = resp.get("content") or {}
            rtext = content.get("text")
            if rtext and content.get("encoding") == "base64":
                try:
                    rtext = base64.b64decode(rtext).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    report.skip("binary or broken base64 response body: endpoint kept, body not classified",
                                f"{path}: entry {i}")
                    rtext = None
            rbody = parse_json(rtext) if "json" in str(content.get("mimeType", "")) else None
            o = observation(req["method"], url, resp.get("status"), parse_time(entry.get("startedDateTime")),
                            None, headers, body, rbody)
            if o.content_type is None and post.get("mimeType"):
                o.content_type = str(post["mimeType"])  # exporters that leave the header out still say it here
            yield o
        except UnreadableURL as ex:
            report.skip("HAR entry with an unreadable URL", f"{path}: entry {i} ({ex})")
        except NotAMethod as ex:
            report.skip("HAR entry whose method is no HTTP method", f"{path}: entry {i} ({ex})")
        except (KeyError, TypeError, AttributeError) as ex:
            report.skip(f"HAR entry without {ex}" if isinstance(ex, KeyError) else "HAR entry of the wrong shape",
                        f"{path}: entry {i} ({type(ex).__name__})")
