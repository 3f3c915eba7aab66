"""API keys, shared by the HTTP API, the web UI and the MCP endpoint (framework-free)."""

from __future__ import annotations

import hmac

from assistant.settings import Settings


def api_keys(settings: Settings) -> list[str]:
    """The configured keys (BRIEFS_API_KEYS, comma-separated)."""
    return settings.api_key_values()


def key_is_valid(settings: Settings, key: str | None) -> bool:
    """Constant-time comparison against every configured key."""
    if not key or not key.strip():
        return False
    given = key.strip().encode()
    return any(hmac.compare_digest(given, k.encode()) for k in api_keys(settings))
