"""Standard Webhooks signing (https://www.standardwebhooks.com/).

The signed content is `f"{webhook_id}.{timestamp}.{body}"`; the key is the secret's bytes,
base64-decoded after the `whsec_` prefix; the signature header is `v1,<base64 HMAC-SHA256>`.
Receivers can verify with any Standard Webhooks library (svix, standardwebhooks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from generations.ids import new_id

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    # 24 random bytes (192 bits), inside the 24..64 bytes Standard Webhooks recommends.
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_webhook_id() -> str:
    return new_id("msg")


def signature(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{webhook_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secret: str, webhook_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers of one attempt. The timestamp is the attempt's own (receivers check freshness)."""
    return {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, webhook_id, timestamp, body),
    }
