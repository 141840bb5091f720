"""Dataset files at rest: SM4-GCM through the platform's crypto provider (duban.core.crypto), key
ring outside the database; the AES-256-GCM files written before the provider are still readable.

* New blobs: ``core.crypto.get_provider().encrypt(data, aad)`` — ``SM4G | key id | nonce |
  ciphertext | tag``; the associated data is ``datacheck:<purpose>`` (``upload``, ``dataset``,
  ``report``), so a quarantine report cannot be swapped in for a dataset file. The key id travels
  with the blob, so ``duban rotate-keys`` re-encrypts the files under the new current key
  (``reencrypt_files`` below, called through the app config) and the old key can be dropped.
* Legacy blobs (``DBC1 | 12-byte nonce | ciphertext+tag``, AES-256-GCM, associated data the bare
  purpose) decrypt with ``settings.DUBAN_DATA_KEY`` / the ``DUBAN_DATA_KEY`` environment variable
  (64 hex characters, or a passphrase of 32+ characters stretched with SHA-256). Under production
  settings reading them with the development default (or a key under 32 characters) raises
  ImproperlyConfigured. ``duban rotate-keys`` rewrites them as SM4 blobs, after which the
  legacy key is no longer needed.
"""

from __future__ import annotations

import hashlib
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from duban.core import crypto as core_crypto

MAGIC = core_crypto.MAGIC  # what every new blob starts with
LEGACY_MAGIC = b"DBC1"
DEV_KEY = "duban-development-data-key-never-use-in-production"
LEGACY = "aes-gcm-legacy"  # the "key id" reported for a legacy blob


class DecryptionError(Exception):
    pass


def configured_key() -> str:
    return getattr(settings, "DUBAN_DATA_KEY", None) or os.environ.get("DUBAN_DATA_KEY") or DEV_KEY


def key_acceptable(raw: str) -> bool:
    return raw != DEV_KEY and len(raw) >= 32


def _legacy_key() -> bytes:
    raw = configured_key()
    if settings.PRODUCTION and not key_acceptable(raw):
        raise ImproperlyConfigured("DUBAN_DATA_KEY must be set (64 hex characters or a passphrase of 32+ "
                                   "characters) in production to read the AES-GCM dataset files written "
                                   "before SM4; `duban rotate-keys` re-encrypts them with SM4.")
    try:
        if len(raw) == 64:
            return bytes.fromhex(raw)
    except ValueError:
        pass
    return hashlib.sha256(raw.encode()).digest()


def _aad(purpose: str) -> str:
    return f"datacheck:{purpose}"


def encrypt(data: bytes, purpose: str) -> bytes:
    return core_crypto.get_provider().encrypt(data, _aad(purpose))


def encrypt_legacy(data: bytes, purpose: str) -> bytes:
    """The old AES-GCM format (tests of the migration path only)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return LEGACY_MAGIC + nonce + AESGCM(_legacy_key()).encrypt(nonce, data, purpose.encode())


def key_id(blob: bytes) -> str:
    """The provider key id of a blob, or LEGACY for an AES-GCM one (without decrypting)."""
    if blob.startswith(LEGACY_MAGIC):
        return LEGACY
    try:
        return core_crypto.CryptoProvider.key_id_of(blob)
    except core_crypto.CryptoError as exc:
        raise DecryptionError(str(exc)) from None


def key_id_of_head(head: bytes) -> str:
    """The key id from the first bytes of a blob (enough: 5 + the id's length)."""
    if head.startswith(LEGACY_MAGIC):
        return LEGACY
    if not head.startswith(MAGIC) or len(head) < 5 or len(head) < 5 + head[4]:
        raise DecryptionError("not an encrypted duban blob")
    return head[5:5 + head[4]].decode("ascii", "replace")


def decrypt(blob: bytes, purpose: str) -> bytes:
    if blob.startswith(LEGACY_MAGIC):
        if len(blob) < len(LEGACY_MAGIC) + 12 + 16:
            raise DecryptionError("truncated AES-GCM blob")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = _legacy_key()
        try:
            return AESGCM(key).decrypt(blob[4:16], blob[16:], purpose.encode())
        except Exception as exc:  # cryptography raises InvalidTag
            raise DecryptionError("the blob does not decrypt with this key") from exc
    if not blob.startswith(MAGIC):
        raise DecryptionError("not an encrypted duban blob")
    try:
        return core_crypto.get_provider().decrypt(blob, _aad(purpose))
    except core_crypto.CryptoError as exc:
        raise DecryptionError(str(exc)) from None
