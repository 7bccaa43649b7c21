"""Personal data: the secret key, its fingerprint in the warehouse, and the keyed hash.

The key is GREENSTREAM_PII_KEY; when that is unset, a random key made once for the
warehouse (`key_file`). The warehouse keeps a fingerprint of the key it was loaded with
(`raw.pii_key_fingerprint`: an HMAC of a fixed text, never the key), and a load with
another key is refused: the same customer must never get two keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import sys
from pathlib import Path

from greenstream.errors import UserError
from greenstream.settings import PII_KEY_ENV, PostgresAddress, Settings, SparkAddress
from greenstream.warehouse import Warehouse

_FINGERPRINT_TEXT = b"greenstream: the fingerprint of a PII key"


def key_file(settings: Settings) -> Path:
    """Where the generated key of the warehouse lives: beside the DuckDB file
    (`<file>.pii-key`); for PostgreSQL, per user and database:
    `$XDG_CONFIG_HOME/greenstream/pii-keys/<host>_<port>_<database>.key` (~/.config);
    for Spark, per Thrift Server: `.../pii-keys/spark_<host>_<port>.key`."""
    if settings.target == "duckdb":
        path = settings.duckdb_path.absolute()
        return path.with_name(path.name + ".pii-key")
    if settings.target == "spark":
        spark = SparkAddress.from_env(settings.lake_dir)
        name = f"spark_{spark.host}_{spark.port}.key"
    else:
        address = PostgresAddress.from_env()
        name = f"{address.host}_{address.port}_{address.database}.key".replace("/", "_")
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "greenstream" / "pii-keys" / name


def checked_key(settings: Settings, warehouse: Warehouse) -> bytes:
    """The key, once its fingerprint matches the warehouse's (stored on first use)."""
    with warehouse.transaction():
        if warehouse.target == "postgres":  # two first loads must not store two fingerprints
            warehouse.execute("select pg_advisory_xact_lock(hashtext('greenstream pii key'))")
        rows = warehouse.fetchall("select fingerprint from raw.pii_key_fingerprint")
        stored = str(rows[0][0]) if rows else None
        key, source = _key(settings, stored)
        mine = fingerprint(key)
        if stored is None:
            warehouse.execute(
                "insert into raw.pii_key_fingerprint (fingerprint, created_at) values (?, ?)",
                [mine, dt.datetime.now(dt.UTC)],
            )
    if stored is not None and stored != mine:
        raise UserError(
            f"this PII key ({source}) is not the key this warehouse's customer keys were made "
            f"with (fingerprint {stored[:12]}, this key's {mine[:12]}); load with that key: "
            f"set {PII_KEY_ENV} to it, or put it back in {key_file(settings)} and unset "
            f"{PII_KEY_ENV}"
        )
    return key


def fingerprint(key: bytes) -> str:
    """What the warehouse keeps of the key: an HMAC of a fixed text, not the key."""
    return hmac.new(key, _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()


def _key(settings: Settings, stored: str | None) -> tuple[bytes, str]:
    """The key and where it came from: GREENSTREAM_PII_KEY, else the warehouse's key file,
    created (mode 0600, with a warning: whoever holds the key can test a guessed customer
    id against the data) when the warehouse has no fingerprint yet (`stored`)."""
    if settings.pii_key is not None:
        return settings.pii_key.encode("utf-8"), PII_KEY_ENV
    path = key_file(settings)
    if not path.exists() and stored is not None:
        raise UserError(
            f"{PII_KEY_ENV} is not set and there is no key in {path}, but this warehouse's "
            f"customer keys were made with a key (fingerprint {stored[:12]}): set "
            f"{PII_KEY_ENV} to it, or put it in {path}"
        )
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another loader created it meanwhile
            pass
        else:
            with os.fdopen(handle, "w", encoding="utf-8") as key_out:
                key_out.write(secrets.token_hex(32) + "\n")
            print(
                f"greenstream: warning: {PII_KEY_ENV} is not set; created a random key in "
                f"{path} (mode 0600). Keep it: customer keys depend on it.",
                file=sys.stderr,
            )
    return path.read_text(encoding="utf-8").strip().encode("utf-8"), str(path)


def customer_key(key: bytes, customer_id: str | None) -> str | None:
    """HMAC-SHA256 (hex) of the trimmed customer id; None when it is empty or absent."""
    if customer_id is None or not customer_id.strip():
        return None
    return hmac.new(key, customer_id.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def redacted(key: bytes, text: str) -> str:
    """What a rejected registry line keeps: its length and keyed hash, never its text."""
    digest = hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"[redacted registry line: {len(text)} characters, hmac-sha256 {digest}]"
