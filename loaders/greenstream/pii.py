"""Personal data: the secret key and the keyed hash that replaces customer ids."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path

KEY_ENV = "GREENSTREAM_PII_KEY"
KEY_FILE = Path(".greenstream") / "pii.key"


def pii_key() -> bytes:
    """The key from GREENSTREAM_PII_KEY, else from `.greenstream/pii.key` (created once).

    The file is relative to the current directory, created with mode 0600 and a warning
    on stderr: whoever holds the key can test a guessed customer id against the data.
    """
    configured = os.environ.get(KEY_ENV)
    if configured:
        return configured.encode("utf-8")
    if not KEY_FILE.exists():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another loader created it meanwhile
            return KEY_FILE.read_text(encoding="utf-8").strip().encode("utf-8")
        with os.fdopen(handle, "w", encoding="utf-8") as key_file:
            key_file.write(secrets.token_hex(32) + "\n")
        print(
            f"greenstream: warning: {KEY_ENV} is not set; created a random key in "
            f"{KEY_FILE.resolve()} (mode 0600). Keep it: customer keys depend on it.",
            file=sys.stderr,
        )
    return KEY_FILE.read_text(encoding="utf-8").strip().encode("utf-8")


def customer_key(key: bytes, customer_id: str | None) -> str | None:
    """HMAC-SHA256 (hex) of the trimmed customer id; None when it is empty or absent."""
    if customer_id is None or not customer_id.strip():
        return None
    return hmac.new(key, customer_id.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def redacted(key: bytes, text: str) -> str:
    """What a rejected registry line keeps: its length and keyed hash, never its text."""
    digest = hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"[redacted registry line: {len(text)} characters, hmac-sha256 {digest}]"
