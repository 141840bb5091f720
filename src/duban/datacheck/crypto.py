"""Dataset files at rest: AES-256-GCM (``cryptography``), key outside the database.

The key comes from ``settings.DUBAN_DATA_KEY`` or the ``DUBAN_DATA_KEY`` environment variable
(64 hex characters, or any passphrase of at least 32 characters, stretched with SHA-256). A
development default exists so that a fresh checkout runs; under production settings
encrypting or decrypting with it (or with a key shorter than 32 characters) raises
ImproperlyConfigured.
A blob is ``DBC1 | 12-byte nonce | ciphertext+tag``; the associated data binds it to its purpose,
so a quarantine report cannot be swapped in for a dataset file.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"DBC1"
DEV_KEY = "duban-development-data-key-never-use-in-production"


class DecryptionError(Exception):
    pass


def configured_key() -> str:
    return getattr(settings, "DUBAN_DATA_KEY", None) or os.environ.get("DUBAN_DATA_KEY") or DEV_KEY


def key_acceptable(raw: str) -> bool:
    return raw != DEV_KEY and len(raw) >= 32


def _key() -> bytes:
    raw = configured_key()
    if settings.PRODUCTION and not key_acceptable(raw):
        raise ImproperlyConfigured("DUBAN_DATA_KEY must be set (64 hex characters or a passphrase of 32+ "
                                   "characters) in production: dataset files are encrypted with it.")
    try:
        if len(raw) == 64:
            return bytes.fromhex(raw)
    except ValueError:
        pass
    return hashlib.sha256(raw.encode()).digest()


def encrypt(data: bytes, purpose: str) -> bytes:
    nonce = os.urandom(12)
    return MAGIC + nonce + AESGCM(_key()).encrypt(nonce, data, purpose.encode())


def decrypt(blob: bytes, purpose: str) -> bytes:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 12 + 16:
        raise DecryptionError("not an encrypted duban blob")
    nonce = blob[4:16]
    try:
        return AESGCM(_key()).decrypt(nonce, blob[16:], purpose.encode())
    except Exception as exc:  # cryptography raises InvalidTag
        raise DecryptionError("the blob does not decrypt with this key") from exc
