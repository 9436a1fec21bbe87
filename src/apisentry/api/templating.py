"""Path templating: `/users/123/orders/9f1c…` becomes `/users/{userId}/orders/{orderId}`.

Segments that look like identifiers (integers, UUIDs, ObjectIds, hashes, dates, emails, mixed
letters and digits, encoded text) are parameters at once. Plain words are static unless the
traffic proves otherwise: many distinct words at one position, each seen rarely, under the same
parent. A static sibling such as `/users/me` is never merged into `/users/{id}`."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from urllib.parse import unquote

from apisentry.guard.spec import fill_segment

_INT = re.compile(r"^-?\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{24}|[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-f]{12,})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_EMAIL = re.compile(r"^[^@/\s]+@[^@/\s]+\.[a-zA-Z]{2,}$")
# `v2`, `v1.1`, `v1beta1`, and Google's point releases `v1p1beta1`, `v2p3alpha1`.
_VERSION = re.compile(r"^v\d+(?:[.p]\d+)*(?:(?:alpha|beta|rc|[ab](?=\d))\d*(?:p\d+)?)?$", re.IGNORECASE)
# Route names: identifiers, dotted or dashed, CamelCase allowed, digits only as a short suffix
# (`oauth2`, `v1beta1`, `s3`) or a short run inside a long word (`p2sVpnGateways`, `ec2Instances`);
# values like `qM935` or `rg494` are not route names.
# A leading digit before letters is a word too (`2fa-login`, `4od`, `3ds`), so is a long word with
# short numbers inside (`authorise3ds2`, `retrieve3ds2Result`, `searchAds360Fields`), and so are
# Atlassian's `~defaults` and `$metadata`.
# Possessive runs and atomic parts keep matching linear: `a_a_a_…!` could otherwise be split
# into parts in exponentially many ways before it fails.
_WORD = re.compile(r"^(?:[$~]?[A-Za-z_][A-Za-z_]*+(?:\d{1,2}(?:[A-Za-z]{4,}|[a-z]{1,3})?)?|\d(?:[a-z]{2,}|[A-Z]{2,})"
                   r"|[A-Za-z]?[a-z]{3}[A-Za-z]*+(?:\d{1,3}[A-Za-z]++)+\d{0,2})"
                   r"(?:[-_.][A-Za-z_]++(?>(?<=[A-Za-z])\d{1,2}[a-z]{1,3}|\d{0,2}))*+$")
_DOTTED_VERSION = re.compile(r"^\d{1,2}(?:\.\d{1,3}){1,2}$")
_NUMBER = re.compile(r"^-?\d+\.\d+$")

# Plain words at one position are parameter values when there are several and they rarely repeat:
# route names repeat with every call, values mostly do not.
MIN_DISTINCT_WORDS = 4
# REST's conventional route words: taken for a value only on evidence of their own (see `_fold`),
# not merely for being rare.
ROUTE_WORDS = frozenset({"me", "self", "current", "latest", "all", "new", "search", "count", "export", "import",
                         "batch", "bulk", "mine", "my", "stats", "summary", "health", "status", "config",
                         # authentication's routes, which a security inventory must never merge
                         "login", "logout", "signin", "signout", "signup", "register", "refresh", "token",
                         "verify", "callback", "authorize", "revoke", "introspect", "userinfo"})
MIN_DISTINCT_RATIO = 0.8
# Names right after an API version, or names that all read as collections, stay routes however
# rarely each is called (a short capture calls each resource once), up to this many: more names
# than an API has resources, each seen once (`/v1/<username>` in a busy log), are values.
MAX_RESOURCE_NAMES = 50
# Names after a collection noun that go on alike are its members once there are this many (`_members`).
MIN_MEMBERS = 4
# Format names as path segments (`/json/Players`, `/xml/Players`) are a `{format}` parameter once
# two of them stand side by side.
FORMAT_WORDS = frozenset({"json", "xml", "csv", "tsv", "yaml", "yml", "html", "txt", "jsonp", "atom", "rss",
                          "geojson", "kml", "ndjson", "protobuf"})


# A name for an id the way documentation writes one: `SomeModelId`, `yourProjectId`, `YOUR_PROJECT_ID`.
_PLACEHOLDER = re.compile(r"^(?:[Ss]ome|[Yy]our|YOUR|[Mm]y|MY|[Ee]xample|EXAMPLE|[Ss]ample)[-_]?[A-Za-z0-9_-]*(?:Id|ID|[-_]id)$")
# Values that docs and tools fill in (Swagger UI's `string`), and a front end's lost value
# (`/users/undefined`, `/users/null`, Python's `None`): beside values, values too. Not `default`,
# `sample` or `id`: specs write them as routes beside a parameter (Jira's `/resolution/default`,
# Twitter's `/tweets/sample/stream`, `/stats/id/{id}`) more often than clients send them as values.
EXAMPLE_WORDS = frozenset({"example", "string", "foo", "bar", "dummy", "placeholder", "undefined", "null", "none", "nan"})
# The account, tenant or namespace every install has (Kubernetes', Conjur's, Vault's `default`).
# Beside values in one or two places it is as often a route (DigitalOcean's `/v2/projects/default`,
# Jira's `/resolution/default`); beside values in three or more places of one API (Conjur's
# `/secrets/default/...`, `/resources/default/...`, `/policies/default/...`), it is the value the
# API's calls name everywhere.
STOCK_WORDS = frozenset({"default"})
STOCK_POSITIONS = 3


def _is_route_word(word: str) -> bool:
    """`me`, `all`, `Current`; not `MY` or `ALL`, which read as codes (Malaysia's, a key's)."""
    return word.lower() in ROUTE_WORDS and not word.isupper()


_LOCALE = re.compile(r"^[a-z]{2,3}[_-][A-Z]{2}$")  # POSIX and BCP 47 locales: `pt_BR`, `hsb-DE`
# ISO 639-1 language codes (`/entries/en/...`, `/entries/es/...`): judged only where every name at a
# position is one, as two-letter route names (`/v1/ml`, `/hr/...`) share some of them.
_LANGUAGES = frozenset("""
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz
    ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik
    io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml
    mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd
    se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
    vo wa wo xh yi yo za zh zu""".split())  # noqa: SIM905 (184 codes read better as a table)
# Languages with no two-letter code, by their ISO 639-2/3 codes as CLDR's locales name them
# (Oxford Dictionaries' `/entries/nso/...` beside `/entries/en/...`): BCP 47 takes the two-letter code
# where there is one, so a three-letter one stands beside two-letter ones only for these. Codes that
# are English words too (`lag`, `mas`, `tok`) are left out.
_LANGUAGES_3 = frozenset("""
    agq asa ast bez bgc bho brx ccp ceb cgg chr ckb dav dje doi dsb dua dyo ebu ewo fil fur gsw guz haw hsb
    jgo jmc kab kam kde kea kgp khq kkj kln kok ksb ksf ksh lij lkt lmo lrc luo luy mai mdf mer mfe mgh mgo
    mni moh mua myv mzn naq nds nmg nnh nqo nso nus nyn osa pcm prg quc raj rof rwk sah saq sat sbp scn sdh
    seh ses shi sma smj smn sms szl teo tpi twq tzm vec vun wae xog yav yrl yue zgh""".split())  # noqa: SIM905
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


@lru_cache(maxsize=1 << 16)  # the fold asks about each segment many times; bounded for endless value streams
def segment_kind(seg: str) -> str:
    """param kinds: int, uuid, objectid/hash, date, email, mixed, text; or "static" / "version"."""
    s = unquote(seg)
    if _INT.match(s):
        return "int"
    if _NUMBER.match(s) and not _DOTTED_VERSION.match(s):
        return "number"
    if _UUID.match(s):
        return "uuid"
    if _HEX.match(s) and any(c.isdigit() for c in s):
        return "hash"
    if _DATE.match(s):
        return "date"
    if _EMAIL.match(s):
        return "email"
    if _VERSION.match(s) or _DOTTED_VERSION.match(s):
        return "version"
    if len(s) <= 60 and _WORD.match(s):
        return "static"
    if s in ("-", "~", "*", "@me", "@self", ".well-known"):
        return "static"  # placeholders APIs write literally: `/frames/-/metrics`, `/users/~`, `/users/@me`
    if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
        return "mixed"
    return "text"


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def singular(word: str) -> str:
    """A collection's name made singular, its words joined by `_`: `resourceGroups` and
    `resource-groups` are `resource_group`, `branches` is `branch`; `k8s` and `dns` stay. Common
    plurals only: naming a parameter does not warrant a dictionary (docs/decisions.md)."""
    w = _CAMEL_BOUNDARY.sub("_", word).lower().replace("-", "_")
    w = re.sub(r"[^a-z0-9_]", "", w)
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ses", "xes", "tches", "nches", "rches", "shes")):  # not `caches`
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3 and not w[-2].isdigit():
        return w[:-1]
    return w


def param_name(parent: str | None, used: set[str]) -> str:
    if parent and parent not in ("{}",) and not _VERSION.match(parent):
        base = singular(parent)
        parts = [p for p in base.split("_") if p]  # `_doc` names `docId`
        name = (parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:]) + "Id") if parts else "id"
    else:
        name = "id"
    return _unused(name, used)


def _unused(name: str, used: set[str]) -> str:
    """`name`, or `name2`, `name3`, ... when the template already has it."""
    out, n = name, 2
    while out in used:
        out, n = f"{name}{n}", n + 1
    return out


# Identifiers that are parameters whatever the traffic around them says: a UUID, a hash, an e-mail
# address, a number of three or more digits (not a compact date: `20200301` may be a dated API
# version), letters mixed with digits. `canonical_path` puts one stand-in of the same kind in their
# place, so the inventory can sum a million `/orders/<uuid>` calls as one path and keep a bounded
# sample of the real ones for the templater (see `inventory.build`). Each stand-in reads as its kind.
STAND_INS = {"int": "999999999", "uuid": "00000000-0000-4000-8000-000000000000", "hash": "f0f0f0f0f0f0f0f0f0f0f0f0",
             "email": "someone@example.invalid", "mixed": "9z9z9z9z9"}
_NOT_BARE = re.compile(r"[.:;()%,=~'!*$]")  # affixes, encodings, OData, matrix: left to the templater
_DIGIT = re.compile(r"\d")


_STAND_IN_VALUES = frozenset(STAND_INS.values())


def _stand_in(seg: str) -> str | None:
    """The stand-in for a bare identifier segment, or None when the segment needs the templater's
    judgement (words, versions, small numbers, dates, text, anything with an affix)."""
    if seg in _STAND_IN_VALUES:
        return seg  # put in already, as access logs' SQL does
    if seg.isdigit():
        return STAND_INS["int"] if len(seg) >= 3 and not _DATE_VERSION.match(seg) else None
    # Not cached: these are the values that never repeat, and they would only push out the rest.
    kind_of = segment_kind.__wrapped__
    if "@" in seg:  # an address has dots, so it is judged whole (`ana@example.json` is a format)
        return STAND_INS["email"] if kind_of(seg) == "email" and _affix.__wrapped__(seg)[1] == PARAM else None
    if not _DIGIT.search(seg) or _NOT_BARE.search(seg) or _NUMBERED.match(seg):
        return None
    kind = kind_of(seg)
    return STAND_INS.get(kind) if kind in ("uuid", "hash", "mixed") else None


def canonical_path(path: str, keep: frozenset[str] = frozenset()) -> str:
    """`path` with each bare identifier replaced by its kind's stand-in (`_stand_in`). Segments in
    `keep`, a spec's route names, stay: `/v1/quantmetrics-tier-1` and `/v1/quantmetrics-tier-2`
    read like one route and an id, but a spec that names both makes them two."""
    if keep:
        return "/".join(seg if seg in keep else (_stand_in(seg) or seg) for seg in path.split("/"))
    return "/".join(_stand_in(seg) or seg for seg in path.split("/"))


@dataclass(slots=True)
class _Node:
    count: int = 0
    children: dict[str, _Node] = field(default_factory=dict)
    # A parameter whose values are mostly release numbers is named `{version}`, whichever value a
    # path has: one node, one name.
    releases: bool = False
    # Likewise `{format}` for a parameter whose values are mostly formats (`/json/...`, `/xml/...`),
    # and only then: `TXT` among DNS record types is one more record type.
    formats: bool = False


PARAM = "{}"


# Segments a path is read as, at most. A hostile request of thousands (`/x/x/x/…`) took the
# templater's recursion past Python's limit and ended the whole inventory; no API nests this deep.
# The segments beyond are one last segment, their slashes encoded as a client would have.
MAX_SEGMENTS = 64


def _split(path: str) -> list[str]:
    segs = [s for s in path.split("/") if s != ""]
    if len(segs) > MAX_SEGMENTS:
        segs[MAX_SEGMENTS - 1:] = ["%2F".join(segs[MAX_SEGMENTS - 1:])]
    return segs


# Extensions of documents, images, audio, video and archives, and of data formats.
_FILE_TYPES = (r"pdf|png|jpe?g|gif|svg|webp|bmp|tiff?|ico|heic|zip|gz|tgz|tar|7z|rar|mp3|mp4|m4a|aac|wav|flac|ogg|"
               r"avi|mov|mkv|webm|docx?|xlsx?|pptx?|od[tsp]|rtf|epub|pages|css|map|woff2?|ttf|otf|eot|wasm")
_DATA_FORMATS = (r"json|jsonp|js|jsonl|ndjson|xml|csv|tsv|txt|x?html?|ya?ml|atom|rss|ics|kml|kmz|geojson|topojson|gml|pbf|mvt|"
                 r"shp|shpz|gpkg|wkt")
_EXT = re.compile(rf"^(.+)(\.(?:{_DATA_FORMATS}|{_FILE_TYPES}))$", re.IGNORECASE)
_DATA_FORMAT_SHAPE = re.compile(rf"^\{{\}}\.(?:{_DATA_FORMATS})$", re.IGNORECASE)
# A value and the format it is asked for: `/geocode/{query}.{format}`.
VALUE_IN_FORMAT = PARAM + "." + PARAM
_FILE_TYPE = re.compile(rf"^\.(?:{_FILE_TYPES})$", re.IGNORECASE)

# `page-12`, `chapter-3`: a word and a number, the number being the value.
_NUMBERED = re.compile(r"^([A-Za-z][A-Za-z]*-)(\d+)$")


# `phrases.{}`: a prefix of two or more characters and a value that starts with a letter, a digit or
# an encoded character other than a space, so `Dr.%20Ann%20Lee` and `U.S.%20News` stay one value.
_DOT_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_-]+\.)((?:[A-Za-z0-9]|%(?!20)[0-9A-Fa-f]{2}).*)$")

# `chat.postMessage`, `conversations.list`: a method in a namespace, as RPC-style APIs name routes.
_RPC_METHOD = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\.[a-z][A-Za-z0-9_]*$")
# A gRPC service, a protobuf package and a service name: `acme.users.v1.UserService`, `grpc.health.v1.Health`.
_GRPC_SERVICE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+\.[A-Z][A-Za-z0-9]*$")
_TOP_LEVEL_DOMAINS = frozenset({"com", "org", "net", "io", "edu", "gov", "co", "de", "uk", "fr", "app", "dev"})

# A name and a short extension (`6658.pbf`, `near.shpz`): after an id, the id is the value.
_ID_KINDS = ("int", "uuid", "hash")
_ID_OR_MIXED = (*_ID_KINDS, "mixed")  # named here: mypyc cannot compile a starred tuple inside an `in` test
_SHORT_EXT = re.compile(r"^(.+?)((?:\.[A-Za-z][A-Za-z0-9]{1,7}){1,2})$")


# OData addresses an entity by key inside the segment: `Products(42)`, `Customers('ALFKI')`,
# `certificates(thumbprintAlgorithm=sha1,thumbprint=…)`, `filterByCurrentUser(on='approver')`.
# A key without a name is a number, a GUID or a quoted string (OData quotes string keys), so a
# title like `Python_(programming_language)` is not read as one.
_QUOTED = r"(?:'(?:[^']|'')*'|%27(?:(?!%27).)*%27)"
_NUMBER_KEY = r"-?\d+(?:\.\d+)?[LMDFlmdf]?"
_GUID_KEY = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ODATA = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\((.+)\)$")
_ODATA_POSITIONAL = re.compile(rf"^(?:{_QUOTED}|{_NUMBER_KEY}|{_GUID_KEY})$")
_ODATA_NAMED = re.compile(rf"^([A-Za-z_][A-Za-z0-9_]*)=({_QUOTED}|[^,'()]+)")
_ODATA_NAMED_PARAM = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)=(')?\{\}")  # `key={}` in a shape


# A token in the path (`/reset/eyJhbGciOi….eyJzdWIi….sig`).
_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
# Matrix parameters (`/cars;color=red;year=2020`, Java's `/cart;jsessionid=0A1B…`) belong to the
# route before them, like a query string.
_MATRIX_SHAPE = ";" + PARAM
_MATRIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*);([A-Za-z_][A-Za-z0-9_.-]*=[^;]*(?:;[A-Za-z_][A-Za-z0-9_.-]*=[^;]*)*)$")


def _odata_key(seg: str) -> tuple[str, str] | None:
    """(first key value, shape) of an OData key segment: `Customers('{}')`, `Products({})`,
    `certificates(thumbprintAlgorithm={},thumbprint={})`; quotes stay in the shape."""
    m = _ODATA.match(seg)
    if not m:
        return None
    name, args = m.groups()
    if _ODATA_POSITIONAL.match(args):
        value, quote = _unquoted(args)
        return value, f"{name}({quote}{PARAM}{quote})"
    keys: list[tuple[str, str, str]] = []
    for pair in args.split(","):
        k = _ODATA_NAMED.fullmatch(pair)
        if k is None:
            return None  # a comma inside a quoted value, or not OData at all: the segment stays whole
        keys.append((k.group(1), *_unquoted(k.group(2))))
    return keys[0][1], f"{name}({','.join(f'{key}={quote}{PARAM}{quote}' for key, _, quote in keys)})"


def _unquoted(value: str) -> tuple[str, str]:
    """An OData literal without its quotes, and the quote the shape writes: `'` also for an encoded
    `%27`, so `Customers('ALFKI')` and `Customers(%27ALFKI%27)` are one route."""
    quote = "'" if value.startswith("'") else "%27" if value.startswith("%27") else ""
    return value[len(quote):len(value) - len(quote)], "'" if quote else ""


def _is_odata(shape: str) -> bool:
    # Only `_odata_key` makes shapes with parentheses; a plain test stays linear on hostile segments.
    return shape.endswith(")") and "(" in shape and PARAM in shape


def _odata_template(shape: str, used: set[str]) -> str:
    """`Customers('{customerId}')`; named keys keep their names: `(thumbprintAlgorithm={thumbprintAlgorithm},…)`."""
    entity, _, args = shape.partition("(")

    def named(m: re.Match[str]) -> str:
        name = _unused(m.group(1), used)
        used.add(name)
        return f"{m.group(1)}={m.group(2) or ''}{{{name}}}"

    if "=" in args:
        return entity + "(" + _ODATA_NAMED_PARAM.sub(named, args)
    name = param_name(entity.rsplit(".", 1)[-1], used)
    used.add(name)
    return entity + "(" + args.replace(PARAM, "{" + name + "}")


@lru_cache(maxsize=1 << 16)  # the fold and then `template` ask about each segment; bounded like `segment_kind`
def _affix(seg: str) -> tuple[str, str]:
    """(value, shape) of a segment: the shape is how the segment reads with its value as a
    parameter: `{}`, Google-style custom methods `{}:cancel`, file extensions `{}.json`, dotted
    prefixes `phrases.{}`, numbered words `page-{}`, OData keys `Products({})`."""
    if seg.startswith("eyJ") and _JWT.match(seg):
        return seg, PARAM  # a token, whose dotted parts are not a route and its value
    if ";" in seg and (matrix := _MATRIX.match(seg)):
        return matrix.group(2), matrix.group(1) + _MATRIX_SHAPE
    if seg.endswith(")") and (odata := _odata_key(seg)):
        return odata
    if ":" in seg:
        head, _, tail = seg.rpartition(":")
        # A verb, not a digest's hex (`sha256:e3b0c442…` is one value)
        if head and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", tail) and segment_kind(tail) == "static":
            return head, PARAM + ":" + tail
    m = _EXT.match(seg)
    dotted = _DOT_PREFIX.match(seg)
    if dotted and segment_kind(dotted.group(2)) == "text" and segment_kind(dotted.group(1)[:-1]) == "static":
        m = None  # `phrases.C%3A%5CUsers%5Cana%5Creport.docx`: the prefix is the route, the rest one value
    if m:
        numbered = _NUMBERED.match(m.group(1))
        if numbered:  # `page-3.atom`
            return numbered.group(2), numbered.group(1) + PARAM + m.group(2)
        return m.group(1), PARAM + m.group(2)
    m = _NUMBERED.match(seg)
    if m:
        return m.group(2), m.group(1) + PARAM
    m = _SHORT_EXT.match(seg)
    if m and segment_kind(m.group(1)) in _ID_OR_MIXED and segment_kind(seg) != "email":
        return m.group(1), PARAM + m.group(2)
    m = _DOT_PREFIX.match(seg)
    if m and segment_kind(seg) in ("text", "mixed") and segment_kind(m.group(2)) not in ("static", "version") \
            and segment_kind(m.group(1)[:-1]) == "static":
        return m.group(2), m.group(1) + PARAM
    return seg, PARAM


_DATE_VERSION = re.compile(r"^(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")


def _is_collection(word: str | None) -> bool:
    return word is not None and word.endswith("s") and not word.endswith("ss")


def _is_version_number(seg: str, node: _Node, after: str | None) -> bool:
    """`/api/2/issue`, `/2/tweets`: one small number, the only value ever seen at its position,
    called again and again on two or more routes, is an API version; so is a compact date
    (`/20160918/instances`) called again and again. An id would vary across that many calls.
    On one route only, a number after a collection (`/subscriptions/1/...`) is still an id."""
    if _DATE_VERSION.match(seg):  # `/20200301/gateways`: a compact date alone is a version on any route
        return node.count >= 3
    return len(seg) <= 2 and seg.isdigit() and node.count >= 3 \
        and (len(node.children) >= 2 or (len(node.children) == 1 and not _is_collection(after)))


def _are_versions(nodes: list[_Node], segs: list[str], after: str | None) -> bool:
    """The values at one position are API versions, not ids: one number alone (`_is_version_number`),
    or two to five single digits (`/oauth2/1/token`, `/oauth2/1/user`, `/oauth2/2/xml`), each
    called again and again, on routes the others mostly lack. Ids of one resource lead to the
    same routes."""
    if len(segs) == 1:
        return _is_version_number(segs[0], nodes[0], after)
    if not segs or len(segs) > 5 or not all(len(s) == 1 and s.isdigit() and n.count >= 3 for s, n in zip(segs, nodes, strict=True)):
        return False
    if min(len(n.children) for n in nodes) < 1 or (max(len(n.children) for n in nodes) < 2 and _is_collection(after)):
        return False
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if len(a.children.keys() & b.children.keys()) * 2 >= len(a.children.keys() | b.children.keys()):
                return False
    return True


_JOINS = (("-", re.compile(r"[A-Za-z0-9]-[A-Za-z]")), ("_", re.compile(r"[A-Za-z0-9]_[A-Za-z]")),
          ("camel", re.compile(r"^[a-z]+[A-Z]")))


def _mixed_spellings(words: list[str]) -> bool:
    """Whether names join their words in two or more ways (`fight_goal`, `west-explain-simple`):
    an API joins the words of its route names one way, people name their things as they like. A
    plain word (`nice`) goes with any way, and a name that joins its words in two ways says nothing.
    Case is no sign: OData puts `$metadata` beside `Products`, Twilio `SMS` beside `Calls`."""
    joins = [found for w in words if len(found := {join for join, rx in _JOINS if rx.search(w)}) == 1]
    return len(set().union(*joins)) >= 2


def _values_vary(node: _Node, params: list[str]) -> bool:
    """Whether the values at a position are typically seen once each: the median, so one hot value
    does not decide it."""
    counts = sorted(node.children[p].count for p in params)
    return counts[(len(counts) - 1) // 2] <= 1.5


def _rarely_repeated(segs: list[str], node: _Node, at_least: int = MIN_DISTINCT_WORDS) -> bool:
    """At least `at_least` names at one position, mostly seen once: values vary from call to call,
    route names repeat with every call."""
    return len(segs) >= at_least and len(segs) / max(sum(node.children[s].count for s in segs), 1) >= MIN_DISTINCT_RATIO


# Sub-routes are compared this many segments deep, ids and other values written as `{}`.
ROUTES_DEPTH = 4
# Names are one parameter's values when the API below them is the same: three or more names that
# share this many sub-routes (`/{catalog,monitoring,opendatasoft}/datasets/{}/exports/...`).
TWIN_ROUTES = 6
# Nodes at one depth below a parameter that are judged together, at most (`Templater._words_below`).
MAX_BRANCHES = 4096
# A name goes on like the values when it shares this many of their sub-routes, and most of its own.
SHARED_WITH_VALUES = 4


def _routes_below(node: _Node, depth: int = ROUTES_DEPTH, prefix: str = "") -> set[str]:
    """The sub-routes below a node (`/datasets`, `/datasets/{}`, `/datasets/{}/exports`), values as `{}`."""
    out: set[str] = set()
    for seg, child in node.children.items():
        route = prefix + "/" + (seg if segment_kind(seg) in ("static", "version") else "{}")
        out.add(route)
        if depth > 1:
            out |= _routes_below(child, depth - 1, route)
    return out


def _twin_trees(node: _Node, words: list[str]) -> list[str]:
    """Names with the same API below them: an API served under a tenant, source, region or language
    (`/catalog/datasets/{}/records`, `/monitoring/datasets/{}/records`, ...). Routes beside each other
    lead to different routes. Two names are one parameter's two values only when they are all the
    names at their position and their APIs are one (`_twin_pair`); beside other routes, Cisco's
    `/security/advisories/cvrf/...` and `/oval/...` are two feeds, which its spec writes as routes."""
    if len(words) == 2:
        return _twin_pair(node, words)
    if len(words) < 3:
        return []
    trees = {w: routes for w in words if len(routes := _routes_below(node.children[w])) >= TWIN_ROUTES}
    best: list[str] = []
    # Each group grows around one of the most called names: linear, however many names there are.
    for w in sorted(trees, key=lambda k: -node.children[k].count)[:16]:
        mine = trees[w]
        alike = [v for v, theirs in trees.items()
                 if len(shared := mine & theirs) >= TWIN_ROUTES and 2 * len(shared) >= len(mine | theirs)]
        if len(alike) > len(best):
            best = alike
    return best if len(best) >= 3 else []


# Names that say where or for whom an API is served: a stage (`/dev/...` beside `/prod/...`), an
# internal or partner copy beside the public one (`/internal/...` beside `/api/...`). A security
# inventory shows such copies apart, however alike their routes are.
SURFACE_WORDS = frozenset({"api", "apis", "internal", "int", "private", "public", "admin", "mgmt", "management",
                           "backoffice", "ops", "debug", "corp", "partner", "partners", "external", "dev", "develop",
                           "development", "test", "testing", "qa", "uat", "stage", "staging", "prod", "production",
                           "live", "sandbox", "beta", "alpha", "preview", "canary", "demo", "mock", "legacy", "old",
                           "new", "next"})


def _twin_pair(node: _Node, words: list[str]) -> list[str]:
    """Two names, all there is at their position, with one API below them (bkk.hu's
    `/mobile/api/where/...` and `/otp/api/where/...`, twenty routes each): one parameter's two values,
    as an API mounted for two channels, regions or back ends is. At least twice `TWIN_ROUTES` shared
    sub-routes, four in five of either's; a name that says where or for whom the API is served
    (`SURFACE_WORDS`) keeps both routes."""
    if any(w.lower() in SURFACE_WORDS for w in words) \
            or sum(1 for k in node.children if segment_kind(k) == "static") != 2:
        return []
    a, b = (_routes_below(node.children[w]) for w in words)
    shared = len(a & b)
    return words if shared >= 2 * TWIN_ROUTES and 5 * shared >= 4 * len(a | b) else []


def _goes_on_like_values(node: _Node, words: list[str], params: list[str]) -> list[str]:
    """Names whose API below is the values' API (`/bitcoin/v2/block/{}`, `/bitcoin/v2/tx/{}`, ...
    beside `/{}/v2/block/{}`): an example value that clients send again and again. Most of the
    name's sub-routes, and at least `SHARED_WITH_VALUES` of them, are the values' too."""
    if not words:
        return []
    theirs: set[str] = set()
    for p in sorted(params, key=lambda k: -node.children[k].count)[:64]:  # bounded: values may be many
        theirs |= _routes_below(node.children[p])
    return [w for w in words if len(shared := (mine := _routes_below(node.children[w])) & theirs) >= SHARED_WITH_VALUES
            and 2 * len(shared) >= len(mine)]


def _rare_at_depth(words: Counter[str], ids_once: int = 0) -> bool:
    """`_rarely_repeated` for the words at one depth below a parameter, all its branches together. As
    there, a word called far more often than a typical one is a route and does not count against them.
    Ids seen once at that depth (`ids_once`) count with the rare words: values vary there, though
    two rare words at least must be words."""
    counts = sorted(words.values())
    typical = counts[len(counts) // 2] if counts else 0
    rare = counts[:bisect_left(counts, max(3, 3 * typical))]
    return len(rare) >= 2 and len(rare) + ids_once >= MIN_DISTINCT_WORDS and len(rare) >= MIN_DISTINCT_RATIO * sum(rare)


def _is_release(seg: str) -> bool:
    """`4.17.21`, `v1.2.3`: a release number, not a decimal like `84.96`."""
    return segment_kind(seg) == "version" and (seg.count(".") >= 2 or seg[:1] in ("v", "V"))


def _members(node: _Node, words: list[str]) -> list[str]:
    """Names after a collection that are its members: four or more that go on into the same routes
    (`/namespaces/default/pods`, `/namespaces/web/pods`, `/namespaces/web/configmaps`, ... or
    `/classes/bard/spells`, `/classes/monk/spells`, ...), each sharing at least half of its routes
    with the others. Routes beside each other under a collection come in twos and threes
    (`/messages/inbound`, `/messages/outbound`) or lead to different routes; names that lead only to
    API versions (`/apis/apps/v1`, `/apis/policy/v1`) are API groups, which specs write as routes.
    Once there is such a group, a name seen on some of its routes only (`/classes/ranger/features`)
    is one more member: a member called less often than the rest; a route leads elsewhere."""
    # Routes only: ids below collections overlap by chance (`/resources/users/7`, `/resources/orders/7`),
    # and any collection may have `search` or `count`.
    kids = {w: routes for w in words if (routes := {k for k in node.children[w].children
                                                    if segment_kind(k) == "static" and not _is_route_word(k)})}
    best: list[str] = []
    # Each group grows around one of the most called names: linear, however many names there are.
    for w in sorted(kids, key=lambda k: -node.children[k].count)[:32]:
        mine = kids[w]
        alike = [v for v, theirs in kids.items() if (shared := mine & theirs) and 2 * len(shared) >= len(mine | theirs)]
        if len(alike) > len(best):
            best = alike
    if len(best) < MIN_MEMBERS:
        return []
    known = set().union(*(kids[w] for w in best))
    return best + [w for w, theirs in kids.items() if w not in best and theirs <= known]


def _route_words_among_names(route: list[str], params: list[str], kinds: dict[str, str], enums: list[str],
                             node: _Node) -> list[str]:
    """The route words that are values: where plain names are values (`/projects/two-interest-soon`,
    `/projects/though`), a route word seen once, like each of them, is one more name
    (`/projects/all`). Beside ids only (`/users/1842`, `/users/77`), `/users/me` stays a route."""
    if sum(1 for p in params if kinds[p] == "static" and p not in enums) < 2:
        return []
    return [s for s in route if node.children[s].count == 1]


def _static_chains(node: _Node) -> set[tuple[str, str, str]]:
    """The three-segment static continuations below a node (`providers/Microsoft.Sql/servers`)."""
    return {(a, b, c) for a, na in node.children.items() if segment_kind(a) == "static"
            for b, nb in na.children.items() if segment_kind(b) == "static"
            for c in nb.children if segment_kind(c) == "static"}


def _literals(template: str) -> list[list[str]]:
    """Each segment of a spec template as the literal text around its parameters:
    `{id}.json` is `["", ".json"]`, `users` is `["users"]`."""
    return [re.split(r"\{[^}/]*\}", seg) for seg in _split(template)]


def _fits(literals: list[str], seg: str) -> bool:
    """Whether a path segment fits a template segment, each parameter taking one character or more,
    in linear time on hostile segments (`fill_segment`)."""
    if len(literals) == 1:
        return seg == literals[0]
    return fill_segment(literals, seg) is not None


def _specificity(literals: list[list[str]]) -> tuple[int, int]:
    """Sort key, most specific spec template first: more static segments (`/users/me` before
    `/users/{id}`), then more literal text (`/records/{id}.json` before `/records/{id}`)."""
    return -sum(len(seg) == 1 for seg in literals), -sum(len("".join(seg)) for seg in literals)


def _merge(into: _Node, other: _Node) -> None:
    into.count += other.count
    for k, child in other.children.items():
        if k in into.children:
            _merge(into.children[k], child)
        else:
            into.children[k] = child


class Templater:
    """Learns templates from all observed paths at once, then maps each path to its template.
    The trie is folded top-down: at each position the values of a parameter are merged into one
    branch before the next position is judged, so `/projects/1/runs/a` and `/projects/2/runs/b`
    are judged together."""

    def __init__(self, paths: list[str], known: list[str] | None = None, counts: list[int] | None = None) -> None:
        """`counts[i]`, when given, is how many times `paths[i]` was seen (1 each otherwise)."""
        self.root = _Node()
        stock_at: list[tuple[str, _Node]] = []  # (stock word, the node it sits below)
        for i, p in enumerate(paths):
            n = counts[i] if counts is not None else 1
            node = self.root
            node.count += n
            for seg in _split(p):
                child = node.children.get(seg)
                if child is None:  # not `setdefault`: a node made for every segment of every path
                    child = node.children[seg] = _Node()
                    if seg in STOCK_WORDS:
                        stock_at.append((seg, node))
                node = child
                node.count += n
        # Templates from a spec anchor the decision: their static segments stay static.
        # Parameters inside a segment (`/docs('{id}')`, `/records/{id}.json`) match by their literal text.
        self.known = sorted(((_literals(t), t) for t in (known or [])), key=lambda kt: _specificity(kt[0]))
        # Words at each depth below a parameter, all its branches together (`_words_below`); the node
        # is kept with them so that its id stays its own.
        self._below: dict[tuple[int, int], tuple[_Node, Counter[str], bool]] = {}
        # Stock names that this API sends beside two or more values in several places, as the paths
        # came (before any folding, so values that read as words do not count).
        beside_values = Counter(seg for seg, parent in stock_at
                                if sum(1 for k in parent.children if self._is_param(segment_kind(k))) >= 2)
        self._stock = {w for w, n in beside_values.items() if n >= STOCK_POSITIONS}
        self._fold(self.root)
        self._cache: dict[str, str] = {}

    @staticmethod
    def _is_param(kind: str) -> bool:
        return kind not in ("static", "version")

    def _fold(self, node: _Node, name: str | None = None, scope: tuple[tuple[_Node, int], ...] = ()) -> None:
        """`scope`: the nearest parameter above and the first one, each with how deep below it this
        node's children are."""
        merged_here: set[str] = set()
        by_shape: dict[str, list[str]] = {}
        heads: dict[str, str] = {}
        affixed = {seg: _affix(seg) for seg in node.children}
        # Names that carry varying extensions (`edge.avi`, `nation.docx`) are file names: one value
        # each, not one route per extension. Ids with a format (`42.json`, `42.csv`) keep it.
        named = {seg for seg, (head, shape) in affixed.items()
                 if shape.startswith(PARAM + ".") and segment_kind(head) not in _ID_KINDS}
        # One route name in several formats (`near.json`, `near.kml`): the extension is the value.
        exts: dict[str, set[str]] = {}
        stem_calls: dict[str, int] = {}  # the most calls any one name with this stem had
        for seg in named:
            head, shape = affixed[seg]
            if segment_kind(head) in ("static", "version"):  # `near.json`, `v1.csv`
                exts.setdefault(head, set()).add(shape)
                stem_calls[head] = max(stem_calls.get(head, 0), node.children[seg].count)
        # A stem seen once or twice in file types (`change.html`, `change.avi`) is two file names that
        # happen to share it; `thumbnail.jpg` and `thumbnail.png`, called again and again, are a route.
        file_stems = {head for head, shapes in exts.items()
                      if stem_calls[head] <= 2 and any(_FILE_TYPE.match(shape[len(PARAM):]) for shape in shapes)}
        formatted = {seg for seg in named if len(exts.get(affixed[seg][0], ())) >= 2
                     and affixed[seg][0] not in file_stems}
        named -= formatted
        # Once `near` comes in several known formats, `near.shpz` and `near.gml` are more of them.
        format_heads = {affixed[seg][0] for seg in formatted}
        for seg in node.children:
            m = _SHORT_EXT.match(seg)
            if m and seg not in formatted and m.group(1) in format_heads:
                affixed[seg] = (m.group(1), PARAM + m.group(2))
                named.discard(seg)
                formatted.add(seg)
        # Once `divisions.{}` takes values, a rarely seen `divisions.Congress_join` is one more of them.
        prefixes = {shape[:-len(PARAM)] for _, shape in affixed.values() if shape.endswith("." + PARAM)}
        prefixes |= {affixed[seg][0] + "." for seg in formatted}
        prefixed: set[str] = set()
        for seg in node.children:
            m = _DOT_PREFIX.match(seg)
            if m and affixed[seg][1] == PARAM and m.group(1) in prefixes and node.children[seg].count <= 2:
                affixed[seg] = (m.group(2), m.group(1) + PARAM)
                prefixed.add(seg)
        # Values asked for in two or more formats (`/geocode/play.xml`, `/geocode/Main%20St.json`,
        # `/records/2550.xml`, `/records/9312.json`) are a value and a format.
        # A name called again and again (`search.json`) is a route, and one in several formats is
        # `near.{format}` (above). Where names come as files of other types too (`q1.pdf`,
        # `notes.txt`), the extension is part of a file name.
        in_formats = {seg for seg, (head, shape) in affixed.items() if seg not in formatted
                      and _DATA_FORMAT_SHAPE.match(shape)
                      and (self._is_param(segment_kind(head)) or (seg in named and node.children[seg].count <= 2))}
        if len({affixed[seg][1].lower() for seg in in_formats}) >= 2 \
                and not any(_FILE_TYPE.match(affixed[seg][1][len(PARAM):]) for seg in named):
            named -= in_formats
        else:
            in_formats = set()
        loose = len({affixed[seg][1] for seg in named}) >= 2
        # Beside plain values, a sentence or a Windows path that ends in `.docx` is one more value;
        # one in a data format (`Ann%20Lee.json`) is a value and its format, as APIs put `/{name}.json`
        # beside `/{name}`.
        plain_values = sum(1 for head, shape in affixed.values() if shape == PARAM and self._is_param(segment_kind(head)))
        plain = plain_values > 0
        # Issue keys of two or more projects (`PROJ-123`, `OPS-7`) are one value each, not one route per project.
        issue_keys = {shape for _, shape in affixed.values() if shape.endswith("-" + PARAM) and shape[:-3].isupper()}
        for seg, (head, shape) in affixed.items():
            if seg in in_formats:
                shape = VALUE_IN_FORMAT
            elif (numbered := _NUMBERED.match(seg)) and shape == numbered.group(1) + PARAM \
                    and (plain_values >= 2 or (len(issue_keys) >= 2 and shape in issue_keys)):
                head, shape = seg, PARAM  # `se-28529731` beside `2660807` and `9fd40c5d`: one more id
            elif seg in named and (loose or (plain and segment_kind(head) == "text"
                                             and not _DATA_FORMAT_SHAPE.match(shape))):
                head, shape = seg, PARAM
            elif seg in formatted:
                head, shape = shape[len(PARAM) + 1:], head + "." + PARAM
            heads[seg] = head
            by_shape.setdefault(shape, []).append(seg)
        # Text (`:id`, `microsoft.graph.getOffenders()`, `Your Pull DOC Request API Path`) that is all
        # there is at its position, one to three spellings each called again and again, is the
        # routes' own spelling: values would vary.
        valueish = [seg for seg in node.children if self._is_param(segment_kind(heads[seg]))]
        literal = set(valueish) if 1 <= len(valueish) <= 3 and all(
            segment_kind(heads[seg]) == "text" and node.children[seg].count >= 3 for seg in valueish) else set()
        # What the position follows, the same for every shape at it.
        after_version = name is not None and segment_kind(name) == "version"
        after_service = name is not None and bool(_GRPC_SERVICE.match(name))
        after_collection = _is_collection(name)
        for shape, segs in by_shape.items():
            kinds = {seg: segment_kind(heads[seg]) for seg in segs}
            # Dates are values unless one date repeats alone (`/2020-05-31/...`, an API version).
            dates = [s for s in segs if kinds[s] == "date"]
            date_calls = sum(node.children[s].count for s in dates)
            dates_vary = len(dates) >= 2 and len(dates) / max(date_calls, 1) >= 0.5
            params = [s for s in segs if self._is_param(kinds[s]) and (kinds[s] != "date" or dates_vary)]
            if any(kinds[s] == "number" for s in params):
                # Among decimal values, `84.96` is one more value, not a version.
                params += [s for s in segs if kinds[s] == "version" and _NUMBER.match(unquote(heads[s]))]
            formats = [s for s in segs if kinds[s] == "static" and shape == PARAM and s.lower() in FORMAT_WORDS]
            if len(formats) >= 2:
                params += formats
            flags = [s for s in segs if kinds[s] == "static" and s.lower() in ("true", "false")]
            if len(flags) == 2:  # `/count/true` beside `/count/false`: a boolean parameter
                params += flags
            # Two or more locales (`/captions/pl_PL`, `/captions/da-DK`) are a locale parameter's values,
            # and so are two or more language codes with no other name beside them (`/registers/es`,
            # `/registers/pt`), three-letter ones among at least as many two-letter ones (`/entries/nso`).
            locales = [s for s in segs if kinds[s] == "static" and _LOCALE.match(s)]
            if len(locales) >= 2:
                params += locales
            taken = set(params)
            names = [s for s in segs if kinds[s] == "static" and s not in taken]
            if len(names) >= 2 and all(s in _LANGUAGES or s in _LANGUAGES_3 for s in names) \
                    and 2 * sum(1 for s in names if s in _LANGUAGES) >= len(names):
                params += names
            # Three or more constant-case names side by side and no other name beside them
            # (`/rules/COMPATIBILITY`, `/rules/VALIDITY`, `/rules/INTEGRITY`) are an enum's values.
            taken = set(params)  # membership by set: a position may hold many thousands of values
            consts = [s for s in segs if kinds[s] == "static" and _CONSTANT.match(s) and s not in taken]
            if len(consts) >= 3 and len(consts) == sum(1 for s in segs if kinds[s] == "static"):
                params += consts
            # File names seen once or twice where names come in many extensions are values, however
            # they read (`sister.jpeg`); `search.json` or `icon.png`, called again and again, are routes.
            taken = set(params)
            params += [s for s in segs if (s in formatted or s in prefixed or s in in_formats
                                           or (loose and s in named and node.children[s].count <= 2))
                       and s not in taken]
            # Release numbers (`/packages/lodash/4.17.21`, `/releases/v1.2.3`) read like API versions, but
            # an API has few versions, each called again and again: four or more dotted versions at
            # one position, rarely repeated, are values.
            taken = set(params)
            releases = [s for s in segs if kinds[s] == "version" and "." in heads[s] and s not in taken]
            if _rarely_repeated(releases, node):
                params += releases
                taken.update(releases)
            words = [s for s in segs if kinds[s] == "static" and not _is_route_word(heads[s])
                     and s not in taken]
            if after_service:
                words = []  # gRPC and Twirp: `/acme.users.v1.UserService/GetUser`; after a service come its methods
            # RPC-style APIs name methods `namespace.method` (`/api/chat.postMessage`, `/api/chat.update`,
            # `/api/users.info`): where two or more namespaces sit side by side and one has two or more
            # methods, every such name there is a route, however rarely called. One prefix with many
            # names after it is a route and its values (`mostPopularMedia.{}`, `divisions.{}`), and
            # reverse-DNS names (`com.whatsapp`, `org.mozilla`) are values.
            namespaces = Counter(m.group(1) for s in words if "." in s and (m := _RPC_METHOD.match(s))
                                 and m.group(1).lower() not in _TOP_LEVEL_DOMAINS)
            if len(namespaces) >= 2 and max(namespaces.values()) >= 2:
                words = [s for s in words if not ((m := _RPC_METHOD.match(s)) and m.group(1) in namespaces)]
            # Mostly words seen once or twice: values (`/jsmith/feeds`). A word called far more often
            # than a typical one is a route (`/user`, `/orders/list`) and does not count against them.
            counts = sorted(node.children[s].count for s in words)
            typical_word = counts[len(counts) // 2] if counts else 0
            rare_words = [s for s in words if node.children[s].count < max(3, 3 * typical_word)]
            # Not resources, though, seen once each in a short capture (`/api/v1/users`, `/api/v1/orders`,
            # `/api/v1/products`, `/api/v1/settings`): names right after an API version, or names that
            # all read as collections, stay routes.
            resources = (after_version or all(_is_collection(w) for w in rare_words)) \
                and len(rare_words) < MAX_RESOURCE_NAMES
            if (_rarely_repeated(rare_words, node)
                    or (_rarely_repeated(rare_words, node, at_least=3) and _mixed_spellings(rare_words))) \
                    and not resources:
                params += rare_words
            elif not params and not (resources and after_version) and (twins := _twin_trees(node, words)):
                # Collections beside each other may be one parameter's values too (`/campaigns/polls/{}/
                # activate`, `/campaigns/announcements/{}/activate`, ...); right after a version they
                # are the API's resources, which CRUD routes make alike.
                params += twins
            elif params and (rare := [s for s in words if node.children[s].count == 1]) and _values_vary(node, params):
                # Where values already vary, a word seen once, as a typical value is, is one more
                # value; a route name (`/users/me`) is called far more often than any one id. Not
                # twice: in real traffic, where call counts are skewed, many routes are called
                # twice (`/v1/products` beside `/v1/{name}`), and a security inventory must not
                # hide a route inside a parameter.
                params += rare
            elif shape.startswith(PARAM + ":") and _rarely_repeated(words, node, at_least=2):
                # Several rarely repeated names before one custom method (`a:cancel`, `b:cancel`) are
                # values of one resource, also beside one value that repeats (an example value);
                # names that repeat (`aptArtifacts:create`, `yumArtifacts:create`) are collections
                # with their own methods.
                params += words
            if shape == PARAM and not resources:
                # Below a parameter's values, each branch sees a few calls: `/metrics/{project}/content/
                # daily/red` and `/metrics/{project}/non-content/monthly/thus` each show one word where
                # others show another. Judged at its depth across all the branches, a word seen once
                # among many others seen once is a value; a route repeats in its branches.
                for top, depth in scope:
                    if depth < 2:
                        continue
                    below, rare_below = self._words_below(top, depth)
                    if rare_below:
                        taken = set(params)
                        params += [w for w in words if w not in taken and below[w] == 1]
            if params and shape == PARAM:
                # A name that goes on like the values do, into two or more of the same routes
                # (`/keys/ak_test/configs`, `/keys/ak_test/usage` beside `/keys/{}/configs`,
                # `/keys/{}/usage`), is a value that came up often: an id from the docs, a test
                # account. Route words (`me`) are left to the stricter rule below.
                kids_of_values = set().union(*(node.children[p].children for p in params))
                taken = set(params)
                params += [w for w in words if w not in taken
                           and len(node.children[w].children.keys() & kids_of_values) >= 2]
                taken = set(params)
                params += _goes_on_like_values(node, [w for w in words if w not in taken], params)
                params += self._versions_among_values(node, segs, kinds, params, kids_of_values)
                # A placeholder pasted from the docs (`SomeModelId`, `your-project-id`, Swagger UI's
                # `string`) beside values is one more value, however often it is sent. A route may
                # end in `Id` (`/snapshots/liveSnapshotId`), but it does not begin with `some` or `your`.
                # So is `default` where this API sends it beside values in several places.
                taken = set(params)
                params += [w for w in words if w not in taken
                           and (_PLACEHOLDER.match(w) or w.lower() in EXAMPLE_WORDS or w in self._stock)]
            if params and (shape == PARAM or shape.startswith(PARAM + ":")):  # also `all:setIamPolicy`
                taken = set(params)
                route = [s for s in segs if kinds[s] == "static" and s not in taken and _is_route_word(heads[s])]
                once = _route_words_among_names(route, params, kinds, formats + flags + consts, node)
                params += once
                # A route word (`me`, `current`, `health`) whose path goes on like the values' paths
                # for three more static segments (`/resourceGroups/health/providers/Microsoft.Sql/
                # servers` beside `/resourceGroups/{}/providers/Microsoft.Sql/servers`) is one more
                # value. `/users/me`, `/users/me/orders` and `/targets/all/scans/expanded` stay
                # routes: APIs do put such routes beside `{id}` with the same short continuation.
                route = [s for s in route if s not in once]
                if shape == PARAM and route:
                    seen = set().union(*(_static_chains(node.children[p]) for p in params))
                    params += [s for s in route if _static_chains(node.children[s]) & seen]
            if shape == PARAM and not params and after_collection:
                params = _members(node, words)
            if shape == PARAM and not params:
                # Beside other names too, three or more constant-case codes are an enum's values
                # (`/privateDnsZones/{}/CNAME`, `/MX`, `/TXT` beside `/virtualNetworkLinks`); one
                # that reads as a route word (`ALL`) stays a route.
                codes = [s for s in consts if s.lower() not in ROUTE_WORDS]
                if len(codes) >= 3:
                    params = codes
            if shape == PARAM and _are_versions([node.children[p] for p in params], params, name):
                params = []
            params = [p for p in params if p not in literal and p != shape]  # a literal `{}` is the shape
            if _is_odata(shape):
                params = segs  # OData's key syntax says these are keys, however the values read
            if params:
                merged = node.children.pop(shape, None) or _Node()
                merged.releases = 2 * sum(1 for s in params if _is_release(heads[s])) > len(params)
                merged.formats = 2 * sum(1 for s in params if s in formatted or heads[s].lower() in FORMAT_WORDS) > len(params)
                for s in params:
                    _merge(merged, node.children.pop(s))
                node.children[shape] = merged
                merged_here.add(shape)
        for seg, child in node.children.items():
            deeper = tuple((top, depth + 1) for top, depth in scope)
            self._fold(child, seg, ((child, 1), *deeper[-1:]) if seg in merged_here else deeper)

    def _words_below(self, top: _Node, depth: int) -> tuple[Counter[str], bool]:
        """Calls per plain word at `depth` below a parameter node, over all its branches, and whether
        they are mostly rare (`_rare_at_depth`). Counted once, when the first branch asks, before any
        of them is folded at that depth. Bounded: a level of more than `MAX_BRANCHES` nodes is judged
        by its first ones."""
        key = (id(top), depth)
        if key not in self._below:
            nodes = [top]
            for _ in range(depth - 1):
                nodes = list(islice((c for n in nodes for c in n.children.values()), MAX_BRANCHES))
            words: Counter[str] = Counter()
            ids_once = 0
            for n in nodes:
                for seg, c in n.children.items():
                    kind = segment_kind(seg)
                    if kind == "static" and not _is_route_word(seg):
                        words[seg] += c.count
                    elif self._is_param(kind) and c.count == 1:
                        ids_once += 1
            self._below[key] = (top, words, _rare_at_depth(words, ids_once))
        _, words, rare = self._below[key]
        return words, rare

    @staticmethod
    def _versions_among_values(node: _Node, segs: list[str], kinds: dict[str, str], params: list[str],
                               kids_of_values: set[str]) -> list[str]:
        """Values that read as versions (`v8`, `V6`: short random ids) where values vary: each seen
        once or twice and going on into a route the values go on into (`/bots/V6/analytics` beside
        `/bots/QRqN/analytics`), or ending where values end. An API version is called on every one
        of its routes, so where one version at the position is called again and again, the rest
        are versions too."""
        taken = set(params)
        versions = [s for s in segs if kinds[s] == "version" and s not in taken]
        if not versions or any(node.children[s].count >= 3 for s in versions):
            return []
        if not _values_vary(node, params):  # values that repeat give no room for a rare one
            return []
        leaf_values = any(not node.children[p].children for p in params)
        return [s for s in versions if ((kids := node.children[s].children.keys()) and kids & kids_of_values)
                or (not kids and leaf_values)]

    def template(self, path: str) -> str:
        cached = self._cache.get(path)
        if cached is None:
            cached = self._cache[path] = self._template(path)
        return cached

    def _template(self, path: str) -> str:
        segs = _split(path)
        for ksegs, t in self.known:
            if len(ksegs) == len(segs) and all(_fits(k, s) for k, s in zip(ksegs, segs, strict=True)):
                return t
        out: list[str] = []
        used: set[str] = set()
        node: _Node | None = self.root
        prev: str | None = None
        for seg in segs:
            head, shape = _affix(seg)
            kids = node.children if node is not None else {}
            if seg in kids:
                out.append(seg)
                prev = head
                node = kids[seg]
                continue
            extension = shape.startswith(PARAM + ".")
            named = _SHORT_EXT.match(seg)
            if named and named.group(1) + "." + PARAM in kids:
                head = named.group(1)  # one route in several formats: `near.{format}`, `near.shpz` too
                key = head + "." + PARAM
            elif extension and shape not in kids and VALUE_IN_FORMAT in kids and _DATA_FORMAT_SHAPE.match(shape):
                name = param_name(prev, used)
                used.add(name)
                fmt = "format" if "format" not in used else param_name("format", used)
                used.add(fmt)
                out.append("{" + name + "}.{" + fmt + "}")
                node = kids[VALUE_IN_FORMAT]
                continue
            elif extension and shape not in kids and PARAM in kids and segment_kind(head) not in _ID_KINDS:
                key = PARAM  # this position took file names whole (see _fold)
            elif (numbered := _NUMBERED.match(seg)) and shape == numbered.group(1) + PARAM and shape not in kids \
                    and PARAM in kids:
                key = PARAM  # this position took `se-28529731` as one more id (see _fold)
            elif shape.endswith(_MATRIX_SHAPE) and shape in kids:
                matrix = "matrix" if "matrix" not in used else param_name("matrix", used)
                used.add(matrix)
                out.append(shape.replace(PARAM, "{" + matrix + "}"))
                prev = shape[:-len(PARAM) - 1]
                node = kids[shape]
                continue
            elif _is_odata(shape):
                out.append(_odata_template(shape, used))
                prev = shape.split("(", 1)[0]
                node = kids.get(shape)
                continue
            elif shape in kids or (self._is_param(segment_kind(head)) and segment_kind(head) != "date"):
                key = shape
            elif (dotted := _DOT_PREFIX.match(seg)) and dotted.group(1) + PARAM in kids:
                key = dotted.group(1) + PARAM  # `divisions.{}` took this word (see _fold)
                head = dotted.group(1)[:-1]
            else:
                out.append(seg)
                prev = head
                node = None
                continue
            # One node, one name, whichever value this path has; a position not seen goes by the value.
            is_format = kids[key].formats if key in kids else head.lower() in FORMAT_WORDS
            if is_format and "format" not in used:
                name = "format"
            elif key in kids and kids[key].releases and "version" not in used:
                name = "version"  # release numbers taken as values (see `_fold`)
            else:
                name = param_name(prev, used)
            used.add(name)
            out.append(key.replace(PARAM, "{" + name + "}"))
            node = kids.get(key)
            if key.endswith("." + PARAM) and not key.startswith(PARAM):
                prev = key[:-len(PARAM) - 1]  # `near.{format}`: the route name names what follows
        return "/" + "/".join(out)
