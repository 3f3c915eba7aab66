"""API keys, shared by the HTTP API, the web UI and the MCP endpoint (framework-free).

Two kinds: ``BRIEFS_API_KEYS`` may read and write; ``BRIEFS_API_READ_KEYS`` may only read (ask, search, list),
which is what to hand to a dashboard, a shared notebook or a fuzzer pointed at a live store.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from assistant.settings import Settings

Role = Literal["write", "read"]
WRITES_DISABLED = (
    "Writing is disabled because no API key is configured: set BRIEFS_API_KEYS=<key>[,<key>…] "
    "and send 'Authorization: Bearer <key>'."
)


def api_keys(settings: Settings) -> list[str]:
    """The keys that may write (BRIEFS_API_KEYS, comma-separated)."""
    return settings.api_key_values()


def read_keys(settings: Settings) -> list[str]:
    """The read-only keys (BRIEFS_API_READ_KEYS)."""
    return settings.api_key_values(read_only=True)


def key_role(settings: Settings, key: str | None) -> Role | None:
    """What ``key`` may do: 'write', 'read' or nothing (None). Constant-time comparisons against every key."""
    if not key or not key.strip():
        return None
    given = key.strip().encode()
    if any(hmac.compare_digest(given, k.encode()) for k in api_keys(settings)):
        return "write"
    if any(hmac.compare_digest(given, k.encode()) for k in read_keys(settings)):
        return "read"
    return None


def key_is_valid(settings: Settings, key: str | None, write: bool = True) -> bool:
    """Whether ``key`` may write (``write=True``) or at least read."""
    role = key_role(settings, key)
    return role == "write" if write else role is not None


@dataclass(frozen=True)
class Denied:
    """Why a request may not go on: an HTTP-like status, a machine-readable code and the message for the caller."""

    status: int
    code: str
    message: str


def authorize(settings: Settings, key: str | None, write: bool) -> Denied | None:
    """None when ``key`` may do this (write, or read on a server that protects reads); else why not. The one
    policy that the HTTP API, Gradio's upload endpoint and the MCP endpoint all apply."""
    if write and not api_keys(settings):
        return Denied(403, "writes_disabled", WRITES_DISABLED)
    if not key or not key.strip():
        return Denied(
            401, "missing_api_key", "Missing API key: send the header 'Authorization: Bearer <key>'."
        )
    role = key_role(settings, key)
    if role is None:
        return Denied(
            401,
            "invalid_api_key",
            "Invalid API key: it is not one of BRIEFS_API_KEYS or BRIEFS_API_READ_KEYS.",
        )
    if write and role != "write":
        return Denied(
            403,
            "read_only_key",
            "This API key may only read (BRIEFS_API_READ_KEYS); writing needs one of BRIEFS_API_KEYS.",
        )
    return None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
