"""Authentication checks: credentials present where the spec requires them, JWTs that hold up
(no `alg: none`, no algorithm confusion, a good signature, inside their validity window, the right
issuer and audience), known API keys. Also names the caller: JWT `sub`, API key id or basic user."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import orjson

from apisentry.guard.model import Detection, HttpRequest
from apisentry.guard.spec import Operation, Spec


@dataclass
class AuthConfig:
    jwt_secret: str | None = None  # HS* shared secret
    jwks_file: str | None = None  # RS*/ES*/PS* public keys
    jwt_algorithms: list[str] = field(default_factory=lambda: ["RS256", "ES256", "HS256"])
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    leeway_s: int = 30
    api_keys: dict[str, str] = field(default_factory=dict)  # key id -> sha256 hex of the key
    _jwks: Any = None

    def jwks(self) -> Any:
        if self._jwks is None and self.jwks_file:
            with open(self.jwks_file, encoding="utf-8") as f:
                self._jwks = jwt.PyJWKSet.from_dict(json.load(f))
        return self._jwks


def _d(location: str, evidence: str, message: str, cwe: str = "CWE-287", score: int = 5) -> Detection:
    return Detection("auth", "API2:2023", cwe, location, evidence[:80], score, message)


def _b64json(part: str) -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        return None


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def check_jwt(token: str, cfg: AuthConfig, location: str, now: float | None = None) -> tuple[str | None, list[Detection]]:
    """(subject, detections) for one bearer JWT."""
    head_s, payload_s, _sig = token.split(".")
    header = _b64json(head_s)
    claims = _b64json(payload_s)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None, [_d(location, "", "malformed JWT", "CWE-20")]
    sub = claims.get("sub")
    subject = str(sub) if sub is not None else None
    alg = str(header.get("alg", ""))
    if alg.lower() == "none" or not alg:
        return subject, [_d(location, f"alg={alg or '(missing)'}", "unsigned JWT (alg: none)", "CWE-347")]
    out: list[Detection] = []
    keyed = cfg.jwt_secret is not None or cfg.jwks_file is not None
    if keyed:
        if alg.startswith("HS") and cfg.jwt_secret is None:
            # An HMAC token where only public keys are configured: the classic confusion, where the
            # public key is used as the HMAC secret.
            return subject, [_d(location, f"alg={alg}", "JWT algorithm confusion (HMAC where public keys are configured)", "CWE-327")]
        if alg not in cfg.jwt_algorithms:
            return subject, [_d(location, f"alg={alg}", f"JWT algorithm {alg} not allowed", "CWE-327")]
        try:
            if alg.startswith("HS"):
                key: Any = cfg.jwt_secret
            else:
                jwks = cfg.jwks()
                kid = header.get("kid")
                key = next((k.key for k in jwks.keys if kid is None or k.key_id == kid), None)
                if key is None:
                    return subject, [_d(location, f"kid={kid}", "JWT signed with an unknown key", "CWE-347")]
            jwt.decode(token, key, algorithms=[alg], audience=cfg.jwt_audience, issuer=cfg.jwt_issuer,
                       leeway=cfg.leeway_s, options={"require": ["exp"] if cfg.jwt_audience or cfg.jwt_issuer else [],
                                                     "verify_aud": cfg.jwt_audience is not None})
        except jwt.ExpiredSignatureError:
            out.append(_d(location, f"exp={claims.get('exp')}", "expired JWT", "CWE-613"))
        except jwt.ImmatureSignatureError:
            out.append(_d(location, f"nbf={claims.get('nbf')}", "JWT not yet valid", "CWE-287"))
        except jwt.InvalidIssuerError:
            out.append(_d(location, f"iss={claims.get('iss')}", "JWT from the wrong issuer", "CWE-287"))
        except jwt.InvalidAudienceError:
            out.append(_d(location, f"aud={claims.get('aud')}", "JWT for another audience", "CWE-287"))
        except jwt.InvalidSignatureError:
            out.append(_d(location, f"alg={alg}", "JWT signature does not verify", "CWE-347"))
        except (jwt.InvalidTokenError, ValueError, TypeError) as e:
            out.append(_d(location, f"alg={alg}", f"invalid JWT: {e}", "CWE-287"))
        return subject, out
    # No keys configured: what can be judged without them.
    t = time.time() if now is None else now
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(exp, int | float) and exp + cfg.leeway_s < t:
        out.append(_d(location, f"exp={exp}", "expired JWT", "CWE-613"))
    if isinstance(nbf, int | float) and nbf - cfg.leeway_s > t:
        out.append(_d(location, f"nbf={nbf}", "JWT not yet valid", "CWE-287"))
    if cfg.jwt_issuer and claims.get("iss") != cfg.jwt_issuer:
        out.append(_d(location, f"iss={claims.get('iss')}", "JWT from the wrong issuer"))
    return subject, out


def _api_key_id(key: str, cfg: AuthConfig) -> str | None:
    digest = hashlib.sha256(key.encode()).hexdigest()
    for kid, want in cfg.api_keys.items():
        if hmac.compare_digest(digest, want.lower()):
            return kid
    return None


def check(req: HttpRequest, op: Operation | None, spec: Spec | None, cfg: AuthConfig,
          cookies: dict[str, str], query: dict[str, str]) -> tuple[str | None, list[Detection]]:
    """(identity, detections). Credentials are judged wherever they appear; their absence only
    where the spec requires them."""
    identity: str | None = None
    out: list[Detection] = []
    authz = req.header("authorization") or ""
    scheme, _, cred = authz.partition(" ")
    scheme_l = scheme.lower()
    if scheme_l == "bearer" and looks_like_jwt(cred.strip()):
        identity, found = check_jwt(cred.strip(), cfg, "header.Authorization")
        out.extend(found)
    elif scheme_l == "basic" and cred:
        try:
            user = base64.b64decode(cred.strip(), validate=True).decode("utf-8", "replace").split(":", 1)[0]
            identity = user or None
        except (binascii.Error, ValueError):
            out.append(_d("header.Authorization", "Basic …", "malformed basic credentials", "CWE-20"))
    if op is None or spec is None or not op.security:
        return identity, out
    # The spec: any one alternative of `security` satisfied is enough; `{}` means optional.
    satisfied = False
    for alt in op.security:
        if not alt:
            satisfied = True
            break
        ok = True
        for name in alt:
            s = spec.schemes.get(name)
            if s is None:
                continue
            if s.type == "http" and s.scheme == "basic":
                ok &= scheme_l == "basic"
            elif s.type in ("http", "oauth2", "openIdConnect"):
                ok &= scheme_l == "bearer" and bool(cred.strip())
            elif s.type == "apiKey":
                src = {"header": {k.lower(): v for k, v in req.headers}, "query": query, "cookie": cookies}.get(s.location, {})
                key = src.get(s.param.lower() if s.location == "header" else s.param)
                if not key:
                    ok = False
                elif cfg.api_keys:
                    kid = _api_key_id(key, cfg)
                    if kid is None:
                        out.append(_d(f"{s.location}.{s.param}", key[:4] + "…", "unknown API key", "CWE-287"))
                    else:
                        identity = identity or f"key:{kid}"
                else:
                    identity = identity or "key:" + hashlib.sha256(key.encode()).hexdigest()[:12]
        if ok:
            satisfied = True
            break
    if not satisfied:
        out.append(_d("request", f"{req.method} {op.template}", "credentials required by the spec are missing", "CWE-306"))
    return identity, out
