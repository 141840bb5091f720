"""CryptoProvider: known-answer tests (GB/T 32905 SM3, GB/T 32907 SM4, GB/T 32918.2 SM2) and the
behaviour every provider must show (IA-11, DP-02, DP-04). The suite runs against the software
provider and against a fake "hardware" provider that keeps its keys in its own store."""

import json
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

from duban.core import crypto
from duban.core.crypto import CryptoError, CryptoProvider, SoftwareProvider, sm2_za


class FakeHsmProvider(SoftwareProvider):
    """Stands in for a 密码机: its keys live in the device (here, a dict held by the object), the
    application only knows key ids. It must pass the same suite as the software provider."""

    name = "fake-hsm"

    def __init__(self):
        super().__init__(keys={"hsm-1": bytes(range(32)), "hsm-2": bytes(range(32, 64))}, current="hsm-2")


@pytest.fixture(params=["software", "fake-hsm"])
def provider(request, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DUBAN_CRYPTO_KEYS = None
    return SoftwareProvider() if request.param == "software" else FakeHsmProvider()


def test_sm3_known_answers(provider):
    # GB/T 32905-2016 Appendix A.1 and A.2
    assert provider.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert provider.sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_known_answer():
    # GB/T 32907-2016 Appendix A.1: one block
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert enc.update(key).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_million_iterations():
    # GB/T 32907-2016 Appendix A.2: the same block encrypted 1,000,000 times (about 1 s)
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    block = key
    update = enc.update
    for _ in range(1_000_000):
        block = update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


# GB/T 32918.2-2016 Appendix A.2: signature over the 256-bit test curve (not the recommended one).
TEST_CURVE = {
    "p": "8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3",
    "a": "787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498",
    "b": "63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A",
    "n": "8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7",
    "g": "421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D"
         "0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2",
}
D_A = "128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263"
P_A = ("0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A"
       "7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857")
UID = b"ALICE123@YAHOO.COM"
K = "6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F"
R = "40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1"
S = "6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7"


class GbtTestCurveProvider(SoftwareProvider):
    curve = TEST_CURVE


def test_sm2_known_answer():
    p = GbtTestCurveProvider(keys={"k": os.urandom(32)}, current="k")
    assert sm2_za(P_A, UID, TEST_CURVE).hex().upper() == (
        "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A")
    sig = p.sm2_sign(D_A, b"message digest", uid=UID, public_key=P_A, k=K)
    assert sig.hex().upper() == R + S
    assert p.sm2_verify(P_A, b"message digest", bytes.fromhex(R + S), uid=UID)
    assert not p.sm2_verify(P_A, b"message digesT", bytes.fromhex(R + S), uid=UID)


def test_sm2_sign_verify_round_trip(provider):
    private, public = provider.sm2_generate_keypair()
    sig = provider.sm2_sign(private, b"ledger head 42")
    assert provider.sm2_verify(public, b"ledger head 42", sig)
    assert not provider.sm2_verify(public, b"ledger head 43", sig)
    tampered = bytes([sig[0] ^ 1]) + sig[1:]
    assert not provider.sm2_verify(public, b"ledger head 42", tampered)
    assert not provider.sm2_verify(public, b"ledger head 42", sig[:10])


def test_hmac_sm3_rfc2104_shape(provider):
    # HMAC-SM3 matches the HMAC construction over SM3 computed by hand.
    key, msg = b"k" * 20, b"what do ya want for nothing?"
    ipad = bytes(b ^ 0x36 for b in key.ljust(64, b"\0"))
    opad = bytes(b ^ 0x5C for b in key.ljust(64, b"\0"))
    expected = provider.sm3(opad + provider.sm3(ipad + msg))
    assert provider.hmac_sm3(key, msg) == expected


def test_encrypt_round_trip_and_binding(provider):
    blob = provider.encrypt("420106199001011234".encode(), aad="petitions.petitioner:7:id_number")
    assert b"4201061990" not in blob
    assert provider.key_id_of(blob) == provider.current_key_id()
    assert provider.decrypt(blob, aad="petitions.petitioner:7:id_number") == b"420106199001011234"
    # copied to another row (different associated data): refuses
    with pytest.raises(CryptoError):
        provider.decrypt(blob, aad="petitions.petitioner:8:id_number")
    # tampered
    with pytest.raises(CryptoError):
        provider.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), aad="petitions.petitioner:7:id_number")
    with pytest.raises(CryptoError):
        provider.decrypt(b"garbage", aad="x")
    # two encryptions of the same value differ (random nonce)
    assert provider.encrypt(b"same", "a") != provider.encrypt(b"same", "a")


def test_wrong_key_gives_clean_error(provider):
    blob = provider.encrypt(b"13800138000", "phone")
    other = SoftwareProvider(keys={provider.current_key_id(): os.urandom(32)}, current=provider.current_key_id())
    with pytest.raises(CryptoError):
        other.decrypt(blob, "phone")
    unknown = SoftwareProvider(keys={"zz": os.urandom(32)}, current="zz")
    with pytest.raises(CryptoError, match="unknown key id"):
        unknown.decrypt(blob, "phone")


def test_blind_index_is_keyed_and_normalised(provider):
    a = provider.blind_index("42010619900101123x", "id_number")
    assert a == provider.blind_index(" 42010619900101123X ", "id_number")
    assert a != provider.blind_index("42010619900101123X", "phone")
    assert a != provider.sm3(b"42010619900101123X").hex()
    assert len(a) == 64


def test_old_key_still_decrypts_after_rotation():
    p1 = SoftwareProvider(keys={"k1": os.urandom(32)}, current="k1")
    blob = p1.encrypt(b"secret", "ctx")
    p2 = SoftwareProvider(keys={**p1._keys, "k2": os.urandom(32)}, current="k2")
    assert p2.decrypt(blob, "ctx") == b"secret"
    fresh = p2.encrypt(b"secret", "ctx")
    assert p2.key_id_of(fresh) == "k2"
    p3 = SoftwareProvider(keys={"k2": p2._keys["k2"]}, current="k2")
    assert p3.decrypt(fresh, "ctx") == b"secret"
    with pytest.raises(CryptoError):
        p3.decrypt(blob, "ctx")


def test_key_ring_file_created_outside_db_with_0600(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DUBAN_CRYPTO_KEYS = None
    p = SoftwareProvider()
    kid = p.current_key_id()
    path = tmp_path / "keys" / "crypto-keys.json"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert json.loads(path.read_text())["current"] == kid
    # the same ring is read back
    blob = p.encrypt(b"x", "y")
    assert SoftwareProvider().decrypt(blob, "y") == b"x"


def test_production_refuses_missing_or_weak_keys(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.PRODUCTION = True
    settings.DUBAN_CRYPTO_KEYS = None
    with pytest.raises(ImproperlyConfigured):
        SoftwareProvider().current_key_id()
    settings.DUBAN_CRYPTO_KEYS = "k1:" + "00" * 32
    with pytest.raises(ImproperlyConfigured):
        SoftwareProvider().current_key_id()
    settings.DUBAN_CRYPTO_KEYS = "k1:abcd"
    with pytest.raises(ImproperlyConfigured):
        SoftwareProvider().current_key_id()
    settings.DUBAN_CRYPTO_KEYS = "k1:" + os.urandom(32).hex()
    assert SoftwareProvider().current_key_id() == "k1"


def test_provider_selected_by_setting(settings):
    settings.DUBAN_CRYPTO_PROVIDER = f"{FakeHsmProvider.__module__}.FakeHsmProvider"
    crypto.reset_provider()
    try:
        assert crypto.get_provider().name == "fake-hsm"
        assert crypto.decrypt(crypto.encrypt(b"v", "a"), "a") == b"v"
        settings.DUBAN_CRYPTO_PROVIDER = "duban.core.crypto.sm3_digest"
        with pytest.raises(ImproperlyConfigured):
            crypto.get_provider()
    finally:
        crypto.reset_provider()


def test_abstract_provider_refuses():
    with pytest.raises(NotImplementedError):
        CryptoProvider().sm3(b"abc")
