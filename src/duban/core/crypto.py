"""National cryptography (SM2/SM3/SM4) through one pluggable provider.

Every use of cryptography in duban that has to satisfy 密评 (GB/T 39786) goes through
``get_provider()``: hashing (SM3), keyed MACs and blind indexes (HMAC-SM3), field and file
encryption (SM4-GCM, with associated data) and signatures (SM2 with SM3, GB/T 32918 / GM/T 0003).

Providers
---------
``settings.DUBAN_CRYPTO_PROVIDER`` (or the environment variable of the same name) is a dotted
path to a ``CryptoProvider`` subclass; the default is ``SoftwareProvider`` below:

* SM3 and SM4 come from the ``cryptography`` package (OpenSSL 3), which has both;
* SM2 comes from ``gmssl`` (pure Python; ``cryptography`` has no SM2). It is slow (tens of ms
  per signature) and not constant-time, which is acceptable for the few signatures duban makes
  but is one more reason a production 密评 deployment uses a certified device.

The slot for a certified 密码机 / 密码服务 (server cipher machine, or a cloud 密码服务 with a
national certificate): write a subclass that implements the same methods by calling the device's
SDK (SDF interface, GM/T 0018, or the vendor's REST API), keep the keys inside the device and
return the device's key ids from ``current_key_id()``; set DUBAN_CRYPTO_PROVIDER to its dotted
path. ``tests/core/test_crypto.py`` runs its known-answer and round-trip suite against every
provider it is given, including a fake "hardware" provider that holds its keys elsewhere.

Keys
----
The software provider reads a key ring that never lives in the database or the repository:
``DUBAN_CRYPTO_KEYS`` in the environment (``id1:hex64,id2:hex64``, the first is current), or else
the file ``DATA_DIR/keys/crypto-keys.json`` (``{"current": id, "keys": {id: hex64}}``, mode
0600). Outside production a missing file is created with a fresh random key; in production a
missing, short or malformed key ring raises ImproperlyConfigured. Each master key is 32 bytes;
the SM4 key and the MAC/index keys are derived from it with HMAC-SM3 and a label, so one master
key serves every purpose without reusing a derived key across purposes.

Ciphertext format (``encrypt``): ``b"SM4G" | len(key_id) (1 byte) | key_id | 12-byte nonce |
ciphertext | 16-byte GCM tag``. The key id travels with every ciphertext, so ``rotate-keys`` can
re-encrypt with the new current key and the old key can be dropped afterwards.
"""

from __future__ import annotations

import hmac as _hmac
import json
import os
import secrets
import threading
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

MAGIC = b"SM4G"
NONCE_LEN = 12
TAG_LEN = 16
MASTER_KEY_LEN = 32
DEFAULT_PROVIDER = "duban.core.crypto.SoftwareProvider"
# GB/T 32918 / GM/T 0009: the default distinguishing identifier when none is agreed.
SM2_DEFAULT_UID = b"1234567812345678"

# The recommended 256-bit SM2 curve (GB/T 32918.5 / GM/T 0003.5).
SM2_CURVE = {
    "p": "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF",
    "a": "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
    "b": "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
    "n": "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123",
    "g": "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7"
         "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0",
}


class CryptoError(Exception):
    """A ciphertext that does not decrypt (wrong key, wrong row, tampered) or an unknown key id."""


class CryptoProvider:
    """The interface. Keys are referred to by id; raw key bytes never leave the provider."""

    name = "abstract"

    # -- hashing ---------------------------------------------------------------------------
    def sm3(self, data: bytes) -> bytes:
        raise NotImplementedError

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        """HMAC-SM3 with a caller-held key (the ledger key, an OTP secret)."""
        raise NotImplementedError

    # -- keyed operations with provider-held keys -------------------------------------------
    def current_key_id(self) -> str:
        raise NotImplementedError

    def key_ids(self) -> list[str]:
        raise NotImplementedError

    def mac(self, data: bytes, purpose: str, key_id: str | None = None) -> bytes:
        """HMAC-SM3 under the provider's MAC key for ``purpose``."""
        raise NotImplementedError

    def blind_index(self, value: str, purpose: str) -> str:
        """A keyed hash for equality search on an encrypted column (hex, 64 chars).

        Always under the current key: ``rotate-keys`` recomputes stored indexes."""
        normalised = (value or "").strip().upper()
        return self.mac(normalised.encode(), "index:" + purpose).hex()

    def encrypt(self, plaintext: bytes, aad: bytes | str = b"", key_id: str | None = None) -> bytes:
        raise NotImplementedError

    def decrypt(self, blob: bytes, aad: bytes | str = b"") -> bytes:
        raise NotImplementedError

    # -- signatures ---------------------------------------------------------------------------
    def sm2_generate_keypair(self) -> tuple[str, str]:
        """(private key hex, public key hex x||y)."""
        raise NotImplementedError

    def sm2_sign(self, private_key: str, message: bytes, uid: bytes = SM2_DEFAULT_UID,
                 public_key: str | None = None) -> bytes:
        """r||s, 64 bytes, over e = SM3(Z_A || M)."""
        raise NotImplementedError

    def sm2_verify(self, public_key: str, message: bytes, signature: bytes,
                   uid: bytes = SM2_DEFAULT_UID) -> bool:
        raise NotImplementedError

    # -- helpers shared by implementations ------------------------------------------------------
    @staticmethod
    def key_id_of(blob: bytes) -> str:
        """The key id a ciphertext was made with (for rotation), without decrypting it."""
        if not isinstance(blob, (bytes, bytearray)) or not blob.startswith(MAGIC) or len(blob) < 5:
            raise CryptoError("not a duban SM4 ciphertext")
        n = blob[4]
        if len(blob) < 5 + n + NONCE_LEN + TAG_LEN:
            raise CryptoError("truncated ciphertext")
        return blob[5:5 + n].decode("ascii")


def _aad(aad: bytes | str) -> bytes:
    return aad.encode() if isinstance(aad, str) else bytes(aad)


def sm3_digest(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    h = c_hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


def sm2_za(public_key: str, uid: bytes = SM2_DEFAULT_UID, curve: dict | None = None) -> bytes:
    """Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A) (GB/T 32918.2 §5.5)."""
    curve = curve or SM2_CURVE
    entl = (len(uid) * 8).to_bytes(2, "big")
    return sm3_digest(entl + uid + bytes.fromhex(curve["a"]) + bytes.fromhex(curve["b"])
                      + bytes.fromhex(curve["g"]) + bytes.fromhex(public_key))


class SoftwareProvider(CryptoProvider):
    """SM3/SM4 from ``cryptography`` (OpenSSL), SM2 from ``gmssl``; key ring outside the DB."""

    name = "software"
    curve = SM2_CURVE

    def __init__(self, keys: dict[str, bytes] | None = None, current: str | None = None):
        self._keys = keys
        self._current = current
        self._lock = threading.Lock()

    # key ring --------------------------------------------------------------------------------
    def _ring(self) -> tuple[str, dict[str, bytes]]:
        if self._keys is None:
            with self._lock:
                if self._keys is None:
                    self._current, self._keys = load_key_ring()
        return self._current, self._keys

    def current_key_id(self) -> str:
        return self._ring()[0]

    def key_ids(self) -> list[str]:
        return list(self._ring()[1])

    def _master(self, key_id: str | None) -> tuple[str, bytes]:
        current, keys = self._ring()
        kid = key_id or current
        try:
            return kid, keys[kid]
        except KeyError:
            raise CryptoError(f"unknown key id {kid!r}") from None

    def _derived(self, key_id: str | None, label: str, length: int = 32) -> tuple[str, bytes]:
        kid, master = self._master(key_id)
        return kid, hmac_sm3(master, b"duban-kdf:" + label.encode())[:length]

    # primitives -------------------------------------------------------------------------------
    def sm3(self, data: bytes) -> bytes:
        return sm3_digest(data)

    def hmac_sm3(self, key: bytes, data: bytes) -> bytes:
        return hmac_sm3(key, data)

    def mac(self, data: bytes, purpose: str, key_id: str | None = None) -> bytes:
        _kid, key = self._derived(key_id, "mac:" + purpose)
        return hmac_sm3(key, data)

    def encrypt(self, plaintext: bytes, aad: bytes | str = b"", key_id: str | None = None) -> bytes:
        kid, key = self._derived(key_id, "sm4-gcm", 16)
        nonce = os.urandom(NONCE_LEN)
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(_aad(aad))
        ct = enc.update(plaintext) + enc.finalize()
        kid_b = kid.encode("ascii")
        return MAGIC + bytes([len(kid_b)]) + kid_b + nonce + ct + enc.tag

    def decrypt(self, blob: bytes, aad: bytes | str = b"") -> bytes:
        kid = self.key_id_of(blob)
        start = 5 + len(kid)
        nonce = blob[start:start + NONCE_LEN]
        body, tag = blob[start + NONCE_LEN:-TAG_LEN], blob[-TAG_LEN:]
        _kid, key = self._derived(kid, "sm4-gcm", 16)
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(_aad(aad))
        try:
            return dec.update(body) + dec.finalize()
        except InvalidTag:
            raise CryptoError("the ciphertext does not decrypt with this key and context") from None

    # SM2 -------------------------------------------------------------------------------------
    def _sm2(self, private_key: str | None, public_key: str | None):
        from gmssl import sm2  # imported lazily: only signatures need it

        engine = sm2.CryptSM2(private_key=private_key or "", public_key="", ecc_table=self.curve)
        # Set after construction: gmssl's constructor strips a "04" prefix with lstrip("04"),
        # which also eats leading 0/4 digits of x for about 1 key in 100.
        engine.public_key = public_key or ""
        return engine

    def sm2_generate_keypair(self) -> tuple[str, str]:
        n = int(self.curve["n"], 16)
        d = secrets.randbelow(n - 2) + 1
        private = "%064x" % d
        public = self._sm2(private, None)._kg(d, self.curve["g"])
        return private, public

    def sm2_sign(self, private_key: str, message: bytes, uid: bytes = SM2_DEFAULT_UID,
                 public_key: str | None = None, k: str | None = None) -> bytes:
        """``k`` (hex) is for known-answer tests only; normally a fresh random nonce is used."""
        signer = self._sm2(private_key, public_key)
        if public_key is None:
            public_key = signer._kg(int(private_key, 16), self.curve["g"])
        e = sm3_digest(sm2_za(public_key, uid, self.curve) + message)
        n = int(self.curve["n"], 16)
        while True:
            nonce = k or "%064x" % (secrets.randbelow(n - 1) + 1)
            sig = signer.sign(e, nonce)
            if sig:
                return bytes.fromhex(sig)
            if k:
                raise CryptoError("the given k does not give a valid signature")

    def sm2_verify(self, public_key: str, message: bytes, signature: bytes,
                   uid: bytes = SM2_DEFAULT_UID) -> bool:
        if len(signature) != 64:
            return False
        n = int(self.curve["n"], 16)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (1 <= r < n and 1 <= s < n):
            return False
        e = sm3_digest(sm2_za(public_key, uid, self.curve) + message)
        return bool(self._sm2(None, public_key).verify(signature.hex(), e))


# -- key ring ----------------------------------------------------------------------------------

def key_file() -> Path:
    return Path(settings.DATA_DIR) / "keys" / "crypto-keys.json"


def _parse_env_ring(raw: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    current = None
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        kid, _, hexkey = part.partition(":")
        keys[kid.strip()] = _key_bytes(kid.strip(), hexkey.strip())
        current = current or kid.strip()
    if not keys:
        raise ImproperlyConfigured("DUBAN_CRYPTO_KEYS is empty")
    return current, keys


def _key_bytes(kid: str, hexkey: str) -> bytes:
    if not kid or len(kid) > 32 or not kid.isascii() or ":" in kid or "," in kid:
        raise ImproperlyConfigured(f"bad crypto key id {kid!r}")
    try:
        key = bytes.fromhex(hexkey)
    except ValueError:
        raise ImproperlyConfigured(f"crypto key {kid!r} is not hex") from None
    if len(key) != MASTER_KEY_LEN or len(set(key)) < 8:
        raise ImproperlyConfigured(f"crypto key {kid!r} must be {MASTER_KEY_LEN} random bytes (64 hex)")
    return key


def read_key_file(path: Path) -> tuple[str, dict[str, bytes]]:
    data = json.loads(path.read_text())
    keys = {kid: _key_bytes(kid, hexkey) for kid, hexkey in data["keys"].items()}
    current = data["current"]
    if current not in keys:
        raise ImproperlyConfigured(f"{path}: the current key {current!r} is not in the ring")
    return current, keys


def write_key_file(path: Path, current: str, keys: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"current": current, "keys": {k: v.hex() for k, v in keys.items()}}, fh, indent=1)
    os.replace(tmp, path)


def new_key_id(existing) -> str:
    i = 1
    while f"k{i}" in existing:
        i += 1
    return f"k{i}"


def load_key_ring() -> tuple[str, dict[str, bytes]]:
    raw = getattr(settings, "DUBAN_CRYPTO_KEYS", None) or os.environ.get("DUBAN_CRYPTO_KEYS")
    if raw:
        return _parse_env_ring(raw)
    path = key_file()
    if path.exists():
        try:
            return read_key_file(path)
        except (ValueError, KeyError) as exc:
            raise ImproperlyConfigured(f"{path} is not a valid key ring: {exc}") from None
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            f"No crypto key ring: set DUBAN_CRYPTO_KEYS or create {path} (duban rotate-keys --init)")
    keys = {"k1": secrets.token_bytes(MASTER_KEY_LEN)}
    write_key_file(path, "k1", keys)
    return "k1", keys


# -- provider selection -------------------------------------------------------------------------

def provider_path() -> str:
    return (getattr(settings, "DUBAN_CRYPTO_PROVIDER", None) or os.environ.get("DUBAN_CRYPTO_PROVIDER")
            or DEFAULT_PROVIDER)


@lru_cache(maxsize=4)
def _provider_for(path: str) -> CryptoProvider:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, CryptoProvider)):
        raise ImproperlyConfigured(f"DUBAN_CRYPTO_PROVIDER {path!r} is not a CryptoProvider")
    return cls()


def get_provider() -> CryptoProvider:
    return _provider_for(provider_path())


def reset_provider() -> None:
    """Forget the cached provider (tests, and after rotate-keys rewrites the ring)."""
    _provider_for.cache_clear()


# Module-level conveniences: the stable API other apps call.
def encrypt(plaintext: bytes, aad: bytes | str = b"") -> bytes:
    return get_provider().encrypt(plaintext, aad)


def decrypt(blob: bytes, aad: bytes | str = b"") -> bytes:
    return get_provider().decrypt(blob, aad)


def blind_index(value: str, purpose: str) -> str:
    return get_provider().blind_index(value, purpose)


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return _hmac.compare_digest(a, b)
