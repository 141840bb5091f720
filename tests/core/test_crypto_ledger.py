"""The ledger's MAC selectable as HMAC-SM3 through the CryptoProvider (IA-11, DP-03): a chain that
switches from HMAC-SHA256 to HMAC-SM3 mid-way verifies, and an edit of an SM3 entry is caught."""

import pytest
from django.db import connection

from duban.core import ledger
from duban.core.crypto import hmac_sm3

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_chain_switching_to_hmac_sm3_verifies_and_catches_edits(settings):
    settings.DUBAN_LEDGER_MAC = "hmac-sha256"
    old = [ledger.append(event="test_event", object_id=str(i)) for i in range(3)]
    settings.DUBAN_LEDGER_MAC = "hmac-sm3"
    new = [ledger.append(event="test_event", object_id=f"n{i}", data={"i": i}) for i in range(3)]
    assert all(len(e.mac) == 64 and not e.mac.startswith("sm3:") for e in old)
    assert all(e.mac.startswith(ledger.SM3_PREFIX) and len(e.mac) <= 64 for e in new)
    # the SM3 tag is the HMAC-SM3 of the same canonical payload the SHA-256 path signs
    import base64
    e = new[0]
    tag = base64.urlsafe_b64decode(e.mac[4:] + "=")
    sha = ledger.compute_mac(seq=e.seq, prev_mac=e.prev_mac, created_at=e.created_at, actor_id=e.actor_id,
                             actor_name=e.actor_name, actor_role=e.actor_role, ip=e.ip,
                             request_id=e.request_id, event=e.event, outcome=e.outcome,
                             object_type=e.object_type, object_id=e.object_id, object_repr=e.object_repr,
                             data=e.data, algorithm="hmac-sha256")
    assert tag != bytes.fromhex(sha) and len(tag) == 32
    result = ledger.verify()
    assert result.ok and result.checked >= 6

    from duban.core import triggers

    triggers.uninstall(connection)
    try:
        with connection.cursor() as cur:
            cur.execute("UPDATE core_auditentry SET object_id = 'forged' WHERE id = %s", [new[1].pk])
    finally:
        triggers.install(connection)
    result = ledger.verify()
    assert not result.ok and result.first_bad_seq == new[1].seq and "MAC" in result.reason


def test_hmac_sm3_helper_is_the_providers(settings):
    settings.DUBAN_LEDGER_MAC = "hmac-sm3"
    mac = ledger._sign(b"payload")
    import base64
    assert base64.urlsafe_b64decode(mac[4:] + "=") == hmac_sm3(settings.DUBAN_LEDGER_KEY.encode(), b"payload")
