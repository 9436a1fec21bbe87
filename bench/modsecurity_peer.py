"""The peer in bench/guard_quality.py: the same requests through nginx + ModSecurity v3 + OWASP CRS
(Debian packages: nginx, libnginx-mod-http-modsecurity, modsecurity-crs) at paranoia levels 1 and 2,
with CRS's default anomaly threshold. The one setting changed from CRS's defaults is
`tx.allowed_methods`, which gains PUT, PATCH and DELETE: every REST API uses them. nginx runs on 127.0.0.1 only, from a temporary prefix, and
is stopped at the end. A request counts as blocked when ModSecurity answers 403."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx

NGINX = "/usr/sbin/nginx"
MODULE = "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so"
CRS_SETUP = "/etc/modsecurity/crs/crs-setup.conf"
CRS_RULES = "/usr/share/modsecurity-crs/rules"
MODSEC_BASE = "/etc/nginx/modsecurity.conf"


def available() -> str | None:
    for f in (NGINX, MODULE, CRS_SETUP, CRS_RULES, MODSEC_BASE):
        if not os.path.exists(f):
            return f"{f} is missing (make bench-deps installs nginx, libnginx-mod-http-modsecurity, modsecurity-crs)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rules(prefix: str, pl: int) -> str:
    path = os.path.join(prefix, f"pl{pl}.conf")
    with open(path, "w") as f:
        f.write(f"""Include {MODSEC_BASE}
SecRuleEngine On
SecAuditEngine Off
SecRequestBodyLimit 8388608
SecRequestBodyNoFilesLimit 8388608
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level={pl}"
SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"
Include {CRS_SETUP}
Include {CRS_RULES}/*.conf
""")
    return path


class Nginx:
    def __init__(self) -> None:
        self.prefix = tempfile.mkdtemp(prefix="apisentry-modsec-")
        self.upstream, self.pl1, self.pl2 = _free_port(), _free_port(), _free_port()
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""load_module {MODULE};
worker_processes 2;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log error;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_max_body_size 16m;
  client_body_buffer_size 4m;
  large_client_header_buffers 8 64k;
  server {{ listen 127.0.0.1:{self.upstream}; location / {{ return 200 "ok"; }} }}
  server {{ listen 127.0.0.1:{self.pl1}; modsecurity on; modsecurity_rules_file {_rules(self.prefix, 1)};
           location / {{ proxy_pass http://127.0.0.1:{self.upstream}; }} }}
  server {{ listen 127.0.0.1:{self.pl2}; modsecurity on; modsecurity_rules_file {_rules(self.prefix, 2)};
           location / {{ proxy_pass http://127.0.0.1:{self.upstream}; }} }}
}}
""")
        self.proc = subprocess.Popen([NGINX, "-p", self.prefix, "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.pl2}/", timeout=1)
                return
            except httpx.HTTPError as e:
                if self.proc.poll() is not None:
                    why = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    raise RuntimeError(f"nginx did not start: {why}") from e
                time.sleep(0.2)
        raise RuntimeError("nginx did not answer within 30 s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.prefix, ignore_errors=True)


def _send(client: httpx.Client, port: int, req: Any) -> int | None:
    url = f"http://127.0.0.1:{port}{req.path}" + (f"?{req.query}" if req.query else "")
    headers = [(k, v) for k, v in req.headers if k.lower() not in ("host", "content-length")]
    try:
        r = client.request(req.method, url, headers=headers, content=req.body or None)
        return r.status_code
    except (httpx.HTTPError, UnicodeError, ValueError):
        return None  # a request HTTP cannot carry (e.g. non-Latin-1 header text): left out


def run_peer(attacks: list[Any], benign: list[Any]) -> Iterator[tuple[str, list[int | None], list[int | None]]]:
    """(title, status per attack request, status per benign request) for PL1 and PL2."""
    why = available()
    if why:
        print(f"\nModSecurity + CRS: skipped: {why}")
        return
    nginx = Nginx()
    try:
        client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=16))
        for pl, port in ((1, nginx.pl1), (2, nginx.pl2)):
            t = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                a_status = list(pool.map(partial(_send, client, port), attacks))
                b_status = list(pool.map(partial(_send, client, port), benign))
            yield (f"nginx + ModSecurity + OWASP CRS, paranoia level {pl} ({time.perf_counter() - t:.0f} s)",
                   a_status, b_status)
    finally:
        nginx.stop()
