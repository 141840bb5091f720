"""DP-02 / DP-04 for petitioners: ID and phone numbers are SM4-GCM ciphertext in the database, the
repeat-petitioner rule finds people by the blind index, ciphertext copied to another row does not
decrypt, and `duban rotate-keys` moves everything to a new key after which the old one is dropped."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from duban.core import crypto
from duban.core.models import AuditEntry
from duban.petitions.models import Petitioner

from test_petitions import ID1, ID2, register  # noqa: F401  (cast fixture comes from conftest)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_key_ring(tmp_path, settings, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.DUBAN_CRYPTO_KEYS = None
    monkeypatch.delenv("DUBAN_CRYPTO_KEYS", raising=False)
    crypto.reset_provider()
    yield tmp_path / "keys" / "crypto-keys.json"
    crypto.reset_provider()


def raw_rows():
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM petitions_petitioner")
        return cur.fetchall()


def test_a_raw_select_shows_no_plaintext_and_the_model_round_trips(cast):
    petition = register(cast, people=2, ids=(ID1, ID2))
    dump = repr(raw_rows())
    assert ID1 not in dump and ID2 not in dump and "13800001111" not in dump
    assert ID1[:10].encode().hex() not in dump
    people = list(petition.petitioners.all())
    assert sorted(p.id_number for p in people) == sorted([ID1, ID2])
    assert people[0].phone == "13800001111"
    assert people[0].id_number_index == crypto.blind_index(people[0].id_number, "petitions.petitioner.id_number")


def test_ciphertext_copied_to_another_row_does_not_decrypt(cast):
    petition = register(cast, people=2, ids=(ID1, ID2))
    a, b = petition.petitioners.all()
    Petitioner.objects.filter(pk=b.pk).update(id_number_enc=a.id_number_enc)
    b.refresh_from_db()
    with pytest.raises(crypto.CryptoError):
        b.id_number


def test_the_repeat_rule_finds_a_person_by_blind_index(cast):
    from datetime import timedelta

    from test_petitions import DAY
    for i in range(3):
        last = register(cast, ids=(ID1,), received=DAY + timedelta(days=i), place=f"地点{i}",
                        matter_type=f"事项{i}")
    assert any(w.rule == "repeat_person" for w in last.warnings.all()), list(last.warnings.all())


def test_rotate_keys_re_encrypts_everything_and_drops_the_old_key(cast, own_key_ring):
    petition = register(cast, people=2, ids=(ID1, ID2))
    old_kid = crypto.get_provider().current_key_id()
    assert {crypto.CryptoProvider.key_id_of(bytes(p.id_number_enc)) for p in petition.petitioners.all()} == {old_kid}
    out = StringIO()
    call_command("rotate_keys", "--new-key", stdout=out)
    ring = json.loads(own_key_ring.read_text())
    new_kid = ring["current"]
    assert new_kid != old_kid and set(ring["keys"]) == {old_kid, new_kid}
    people = list(Petitioner.objects.filter(petition=petition))
    assert {crypto.CryptoProvider.key_id_of(bytes(p.id_number_enc)) for p in people} == {new_kid}
    assert {crypto.CryptoProvider.key_id_of(bytes(p.phone_enc)) for p in people} == {new_kid}
    call_command("rotate_keys", "--drop-old", stdout=out)
    assert set(json.loads(own_key_ring.read_text())["keys"]) == {new_kid}
    crypto.reset_provider()
    assert sorted(p.id_number for p in Petitioner.objects.filter(petition=petition)) == sorted([ID1, ID2])
    # the blind index follows the current key, so look-ups keep working
    assert Petitioner.objects.filter(
        id_number_index=crypto.blind_index(ID1, "petitions.petitioner.id_number")).count() == 1
    assert AuditEntry.objects.filter(event="crypto_keys_rotated").count() == 2
    # keys never appear in the database
    for kid, hexkey in json.loads(own_key_ring.read_text())["keys"].items():
        assert hexkey not in repr(raw_rows())
        assert not AuditEntry.objects.filter(data__icontains=hexkey).exists() if connection.vendor == "postgresql" \
            else hexkey not in repr(list(AuditEntry.objects.values_list("data", flat=True)))
    assert "rows re-encrypted" in out.getvalue()
