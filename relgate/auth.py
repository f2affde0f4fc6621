"""Optional access control per front door: bearer API tokens and JWT bearer tokens.

A route names an ``[auth.NAME]`` table (``auth = "NAME"``); routes without one are open, as
before (a proxy route then passes the caller's ``Authorization`` to its backend unchanged).
A scheme accepts

- **API tokens**: values read from environment variables at start-up, each ``read-only`` or
  ``read-write``; a presented token is compared with every configured one in constant time
  (``hmac.compare_digest`` over SHA-256 digests, so neither content nor length leaks);
- **JWTs** (PyJWT): signature (an HS256 secret from the environment, RS256 public keys from a
  PEM or a JWKS file — no network), ``exp``, ``iss`` and ``aud`` required and checked; a write
  needs ``write_scope`` in the token's ``scope`` (space-separated) or ``scp`` claim.

The check runs in the front door before the body is read.  Refusals are
:class:`~relgate.model.ProblemError` values the caller's dialect renders: 401 with a
``WWW-Authenticate: Bearer …`` challenge (RFC 6750 §3) when credentials are missing or
invalid, 403 (``error="insufficient_scope"``) when a valid token may not write.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jwt

from relgate.model import Problem, ProblemError

READS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCESS = ("read-only", "read-write")
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
DEFAULT_WRITE_SCOPE = "relgate:write"
JWT_KEYS = {"issuer", "audience", "algorithms", "leeway", "write_scope", "read_scope"} | {
    "secret_env",
    "public_key_file",
    "public_key_env",
    "jwks_file",
}
MIN_TOKEN_LENGTH = 16
MIN_SECRET_BYTES = 32
"""RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits)."""

_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
"""RFC 6750 §2.1 ``b64token``: what may follow ``Bearer``."""
_SCOPE_VALUE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
"""RFC 6750 §3 scope-token: printable ASCII without space, ``"`` and ``\\``."""
_REALM = re.compile(r"[\x20\x21\x23-\x5B\x5D-\x7E]+")


@dataclass(frozen=True, slots=True)
class ApiToken:
    digest: bytes
    """SHA-256 of the token's value (the value itself is not kept)."""
    writes: bool
    env: str


@dataclass(frozen=True, slots=True)
class JwtKeys:
    issuer: str
    audience: tuple[str, ...]
    algorithms: tuple[str, ...]
    secret: bytes | None = None
    public_keys: Mapping[str | None, Any] = field(default_factory=dict)
    """RSA public keys by ``kid`` (``None``: the key for tokens without a ``kid``)."""
    write_scope: str = DEFAULT_WRITE_SCOPE
    read_scope: str | None = None
    leeway: float = 0.0


@dataclass(frozen=True, slots=True)
class AuthScheme:
    name: str
    realm: str = "relgate"
    tokens: tuple[ApiToken, ...] = ()
    jwt: JwtKeys | None = None
    anonymous_reads: bool = False


class Guard:
    """Checks a request's credentials against one :class:`AuthScheme` (built at start-up)."""

    def __init__(self, scheme: AuthScheme) -> None:
        self.scheme = scheme
        self._realm = f'realm="{scheme.realm}"'

    def check(self, method: str, authorization: str | None) -> None:
        """Return when the request may proceed; raise a 401/403 :class:`ProblemError` otherwise."""
        write = method.upper() not in READS
        if authorization is None:
            if not write and self.scheme.anonymous_reads:
                return
            raise self._unauthorized("Missing credentials: this front door requires an 'Authorization: Bearer <token>' header.")
        kind, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if kind.lower() != "bearer":
            raise self._unauthorized("Missing credentials: this front door accepts only 'Authorization: Bearer <token>'.")
        if not _TOKEN68.fullmatch(token):
            raise self._unauthorized("The bearer token is malformed.", error="invalid_token")
        api = self._api_token(token)
        if api is not None:
            if write and not api.writes:
                raise self._forbidden("This token is read-only; it cannot change anything.", scope=None)
            return
        if self.scheme.jwt is None:
            raise self._unauthorized("The bearer token is not valid.", error="invalid_token")
        scopes = self._jwt_scopes(self.scheme.jwt, token)
        needed = self.scheme.jwt.write_scope if write else self.scheme.jwt.read_scope
        if needed is not None and needed not in scopes:
            raise self._forbidden(f"The token lacks the scope '{needed}' needed to {'write' if write else 'read'}.", scope=needed)

    def _api_token(self, token: str) -> ApiToken | None:
        digest = hashlib.sha256(token.encode()).digest()
        found = None
        for candidate in self.scheme.tokens:  # every one is compared: the time does not say which matched
            if hmac.compare_digest(digest, candidate.digest):
                found = candidate
        return found

    def _jwt_scopes(self, keys: JwtKeys, token: str) -> frozenset[str]:
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in keys.algorithms:
                raise self._unauthorized(f"The token's algorithm {algorithm!r} is not accepted.", error="invalid_token")
            key = self._key(keys, algorithm, header.get("kid"))
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=list(keys.audience),
                issuer=keys.issuer,
                leeway=keys.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise self._unauthorized("The token has expired.", error="invalid_token") from None
        except jwt.InvalidIssuerError:
            raise self._unauthorized("The token's issuer is not accepted.", error="invalid_token") from None
        except jwt.InvalidAudienceError:
            raise self._unauthorized("The token's audience is not accepted.", error="invalid_token") from None
        except jwt.MissingRequiredClaimError as exc:
            raise self._unauthorized(f"The token has no '{exc.claim}' claim.", error="invalid_token") from None
        except jwt.ImmatureSignatureError:
            raise self._unauthorized("The token is not valid yet.", error="invalid_token") from None
        except jwt.InvalidSignatureError:
            raise self._unauthorized("The token's signature does not verify.", error="invalid_token") from None
        except jwt.PyJWTError:
            raise self._unauthorized("The bearer token is not valid.", error="invalid_token") from None
        return _scopes(claims)

    def _key(self, keys: JwtKeys, algorithm: str, kid: Any) -> Any:
        if algorithm in HMAC_ALGORITHMS:
            return keys.secret
        public = keys.public_keys
        if isinstance(kid, str) and kid in public:
            return public[kid]
        if None in public:
            return public[None]
        if kid is None and len(public) == 1:
            return next(iter(public.values()))
        raise self._unauthorized("The token's key id is not known.", error="invalid_token")

    def _challenge(self, **params: str) -> str:
        extra = "".join(f', {name}="{value}"' for name, value in params.items())
        return f"Bearer {self._realm}{extra}"

    def _unauthorized(self, detail: str, *, error: str | None = None) -> ProblemError:
        params = {"error": error, "error_description": _ascii(detail)} if error else {}
        problem = Problem(401, "unauthorized", "Unauthorized", detail, header="Authorization")
        return ProblemError(problem, headers={"WWW-Authenticate": self._challenge(**params)})

    def _forbidden(self, detail: str, *, scope: str | None) -> ProblemError:
        params = {"error": "insufficient_scope", "error_description": _ascii(detail)}
        if scope is not None:
            params["scope"] = scope
        problem = Problem(403, "forbidden", "Forbidden", detail, header="Authorization")
        return ProblemError(problem, headers={"WWW-Authenticate": self._challenge(**params)})


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The token's scopes: ``scope`` (RFC 8693 §4.2, space-separated) and/or ``scp`` (a list or a string)."""
    out: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            out.update(value.split())
        elif isinstance(value, list):
            out.update(v for v in value if isinstance(v, str))
    return frozenset(out)


def _ascii(text: str) -> str:
    """``error_description`` allows printable ASCII without ``"`` and ``\\`` (RFC 6750 §3)."""
    return "".join(c for c in text if " " <= c <= "~" and c not in '"\\')


# --- configuration ------------------------------------------------------------------------------


class Checker(Protocol):
    """What config.py's checker offers (its error list carries key paths)."""

    def error(self, key: str, message: str) -> None: ...

    def table(self, value: Any, key: str) -> Mapping[str, Any]: ...

    def unknown(self, table: Mapping[str, Any], key: str, allowed: set[str]) -> None: ...

    def typed(self, table: Mapping[str, Any], name: str, key: str, kind: type | tuple[type, ...], default: Any) -> Any: ...


def parse_schemes(c: Checker, section: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, AuthScheme]:
    """The ``[auth.NAME]`` tables; secrets are read from ``environ`` (default: the process's)."""
    env = os.environ if environ is None else environ
    out: dict[str, AuthScheme] = {}
    for name, raw in section.items():
        key = f"auth.{name}"
        t = c.table(raw, key)
        c.unknown(t, key, {"realm", "tokens", "jwt", "anonymous_reads"})
        realm = c.typed(t, "realm", key, str, "relgate")
        if not _REALM.fullmatch(realm):
            c.error(f"{key}.realm", "must be printable ASCII without quotes or backslashes")
        tokens = _tokens(c, t.get("tokens"), f"{key}.tokens", env)
        keys = _jwt(c, c.table(t.get("jwt"), f"{key}.jwt"), f"{key}.jwt", env) if "jwt" in t else None
        if not tokens and keys is None:
            c.error(key, "needs tokens, jwt or both (an empty scheme would refuse every request)")
        anonymous = c.typed(t, "anonymous_reads", key, bool, False)
        out[name] = AuthScheme(name=name, realm=realm, tokens=tokens, jwt=keys, anonymous_reads=anonymous)
    return out


def _secret(c: Checker, env: Mapping[str, str], var: str, key: str) -> str | None:
    value = env.get(var)
    if value is None:
        c.error(key, f"environment variable {var} is not set")
        return None
    if not value:
        c.error(key, f"environment variable {var} is empty")
        return None
    return value


def _tokens(c: Checker, value: Any, key: str, env: Mapping[str, str]) -> tuple[ApiToken, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        c.error(key, 'must be an array of tables such as [{ env = "RELGATE_TOKEN", access = "read-write" }]')
        return ()
    out: list[ApiToken] = []
    for i, raw in enumerate(value):
        tkey = f"{key}[{i}]"
        t = c.table(raw, tkey)
        c.unknown(t, tkey, {"env", "access"})
        var = c.typed(t, "env", tkey, str, "")
        access = c.typed(t, "access", tkey, str, "read-only")
        if access not in ACCESS:
            c.error(f"{tkey}.access", f"must be one of {', '.join(ACCESS)}")
        if not var:
            c.error(f"{tkey}.env", "must name the environment variable holding the token")
            continue
        token = _secret(c, env, var, f"{tkey}.env")
        if token is None:
            continue
        if len(token) < MIN_TOKEN_LENGTH or not _TOKEN68.fullmatch(token):
            c.error(f"{tkey}.env", f"{var} must hold at least {MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (a bearer token)")
            continue
        out.append(ApiToken(hashlib.sha256(token.encode()).digest(), writes=access == "read-write", env=var))
    return tuple(out)


def _jwt(c: Checker, t: Mapping[str, Any], key: str, env: Mapping[str, str]) -> JwtKeys | None:
    c.unknown(t, key, JWT_KEYS)
    issuer = c.typed(t, "issuer", key, str, "")
    if not issuer:
        c.error(f"{key}.issuer", "is required (the 'iss' every accepted token must carry)")
    audience = c.typed(t, "audience", key, (str, list), "")
    audiences = (audience,) if isinstance(audience, str) else tuple(audience)
    if not audiences or not all(isinstance(a, str) and a for a in audiences):
        c.error(f"{key}.audience", "is required: a string or an array of strings (the 'aud' accepted tokens carry)")
    secret = None
    if "secret_env" in t:
        var = c.typed(t, "secret_env", key, str, "")
        value = _secret(c, env, var, f"{key}.secret_env") if var else None
        if value is not None and len(value.encode()) < MIN_SECRET_BYTES:
            c.error(f"{key}.secret_env", f"{var} must hold at least {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)")
        elif value is not None:
            secret = value.encode()
    public_keys = _public_keys(c, t, key, env)
    default_algorithms = [*(["HS256"] if secret else []), *(["RS256"] if public_keys else [])]
    algorithms = c.typed(t, "algorithms", key, list, default_algorithms)
    for i, algorithm in enumerate(algorithms):
        if algorithm in HMAC_ALGORITHMS and secret is None:
            c.error(f"{key}.algorithms[{i}]", f"{algorithm} needs secret_env")
        elif algorithm in RSA_ALGORITHMS and not public_keys:
            c.error(f"{key}.algorithms[{i}]", f"{algorithm} needs public_key_file, public_key_env or jwks_file")
        elif algorithm not in HMAC_ALGORITHMS + RSA_ALGORITHMS:
            c.error(f"{key}.algorithms[{i}]", f"must be one of {', '.join(HMAC_ALGORITHMS + RSA_ALGORITHMS)}")
    if not algorithms and "algorithms" not in t:
        c.error(key, "needs a key: secret_env (HS256), public_key_file / public_key_env or jwks_file (RS256)")
    write_scope = c.typed(t, "write_scope", key, str, DEFAULT_WRITE_SCOPE)
    read_scope = c.typed(t, "read_scope", key, str, None)
    for name, scope in (("write_scope", write_scope), ("read_scope", read_scope)):
        if scope is not None and not _SCOPE_VALUE.fullmatch(scope):
            c.error(f"{key}.{name}", "must be one scope token (printable ASCII, no spaces or quotes)")
    leeway = c.typed(t, "leeway", key, (int, float), 0)
    if isinstance(leeway, bool) or leeway < 0:
        c.error(f"{key}.leeway", "must be a number of seconds, at least 0")
        leeway = 0
    return JwtKeys(
        issuer=issuer,
        audience=audiences,
        algorithms=tuple(algorithms),
        secret=secret,
        public_keys=public_keys,
        write_scope=write_scope,
        read_scope=read_scope,
        leeway=float(leeway),
    )


def _public_keys(c: Checker, t: Mapping[str, Any], key: str, env: Mapping[str, str]) -> dict[str | None, Any]:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    keys: dict[str | None, Any] = {}
    pem: str | None = None
    if "public_key_file" in t:
        path = c.typed(t, "public_key_file", key, str, "")
        try:
            pem = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            c.error(f"{key}.public_key_file", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
    if "public_key_env" in t:
        var = c.typed(t, "public_key_env", key, str, "")
        pem = _secret(c, env, var, f"{key}.public_key_env") if var else None
    if pem is not None:
        where = f"{key}.public_key_env" if "public_key_env" in t else f"{key}.public_key_file"
        try:
            public = load_pem_public_key(pem.encode())
        except ValueError:
            c.error(where, "is not a PEM public key")
        else:
            if isinstance(public, RSAPublicKey):
                keys[None] = public
            else:
                c.error(where, "must be an RSA public key (RS256)")
    if "jwks_file" in t:
        path = c.typed(t, "jwks_file", key, str, "")
        try:
            jwks = jwt.PyJWKSet.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            c.error(f"{key}.jwks_file", f"cannot read {path}: {exc.strerror or exc}")
        except (ValueError, jwt.PyJWKSetError, jwt.PyJWKError) as exc:
            c.error(f"{key}.jwks_file", f"is not a usable JWKS: {exc}")
        else:
            rsa = [jwk for jwk in jwks.keys if isinstance(jwk.key, RSAPublicKey) and jwk.public_key_use in (None, "sig")]
            if not rsa:
                c.error(f"{key}.jwks_file", "holds no RSA signing key")
            for jwk in rsa:
                keys[jwk.key_id] = jwk.key
    return keys
