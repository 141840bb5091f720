"""Dataset files: no orphan blob after a rolled-back upload or load, the orphan sweep, and
`duban rotate-keys` moving datacheck's files (legacy AES-GCM ones included) to the new key."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from duban.core import crypto as core_crypto
from duban.core import ledger
from duban.datacheck import crypto, engine, services, storage
from duban.datacheck.models import DatasetVersion
from duban.datacheck.schema import Kind

from .helpers import PAYMENT_HEADERS, csv_bytes, loaded, make_id

ROWS = [[make_id(1), "张一", "低保", "500", "2024-03-10", "6222000000000001", "13800000001"],
        [make_id(2), "李二", "低保", "300", "2024-03-10", "", ""]]


def stored(media):
    return sorted(p.name for p in (media / "datacheck").glob("*")) if (media / "datacheck").exists() else []


@pytest.mark.django_db
def test_a_failing_upload_leaves_no_file_in_storage(cast, media, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(ledger, "append", boom)
    with pytest.raises(RuntimeError):
        services.dataset_upload(actor=cast.discipline, name="低保", kind=Kind.PAYMENTS, file_name="a.csv",
                                raw=csv_bytes(PAYMENT_HEADERS, ROWS))
    assert stored(media) == [] and not DatasetVersion.objects.exists()


@pytest.mark.django_db
def test_a_failing_load_leaves_only_the_upload(cast, media, monkeypatch):
    version = services.dataset_upload(actor=cast.discipline, name="低保", kind=Kind.PAYMENTS, file_name="a.csv",
                                      raw=csv_bytes(PAYMENT_HEADERS, ROWS + [["bad", "", "", "", "", "", ""]]))
    before = stored(media)
    assert len(before) == 1
    real = ledger.append

    def boom(**kwargs):
        if kwargs.get("event", "").startswith("datacheck_dataset_"):
            raise RuntimeError("ledger down")
        return real(**kwargs)

    monkeypatch.setattr(ledger, "append", boom)
    with pytest.raises(RuntimeError):
        services.dataset_load(actor=cast.discipline, version=version, mapping=services.suggested_mapping(version))
    assert stored(media) == before  # neither the snapshot nor the report stayed behind
    version.refresh_from_db()
    assert version.status == "pending" and not version.data_file and not version.report_file


@pytest.mark.django_db
def test_the_sweep_removes_old_unreferenced_blobs_only(cast, media):
    version = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, ROWS)
    orphan = storage.write(b"x", purpose="dataset")
    assert storage.sweep_orphans(services.referenced_files()) == []  # too young
    removed = storage.sweep_orphans(services.referenced_files(), older_than=timedelta(seconds=-1))
    assert orphan in removed and version.data_file not in removed and default_storage.exists(version.data_file)


@pytest.fixture
def own_key_ring(tmp_path, settings, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.DUBAN_CRYPTO_KEYS = None
    monkeypatch.delenv("DUBAN_CRYPTO_KEYS", raising=False)
    core_crypto.reset_provider()
    yield tmp_path / "keys" / "crypto-keys.json"
    core_crypto.reset_provider()


@pytest.mark.django_db(transaction=True)
def test_rotate_keys_re_encrypts_dataset_files_legacy_ones_included(own_key_ring, cast, media):
    # own_key_ring first: the cast's accounts are sealed (row MACs, DP-03) under that ring's key, so
    # every key of the old ring can go once rotated
    version = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, ROWS + [["bad", "", "", "", "", "", ""]])
    assert version.report_file
    old_kid = core_crypto.get_provider().current_key_id()
    # a file written before the provider: AES-GCM under DUBAN_DATA_KEY
    plain = storage.read(version.data_file, purpose="dataset")
    legacy_name = default_storage.save("datacheck/legacy.bin", ContentFile(crypto.encrypt_legacy(plain, "dataset")))
    DatasetVersion.objects.filter(pk=version.pk).update(data_file=legacy_name)
    version.refresh_from_db()
    assert services.file_key_ids() == {crypto.LEGACY: 1, old_kid: 1}
    with engine.duckdb_with({"p": version}) as con:  # the legacy file is still readable
        assert con.execute("SELECT count(*) FROM src_p").fetchone()[0] == 2
    out = StringIO()
    call_command("rotate_keys", "--new-key", stdout=out)
    new_kid = json.loads(own_key_ring.read_text())["current"]
    assert "datacheck: 2 files re-encrypted" in out.getvalue()
    version.refresh_from_db()
    assert services.file_key_ids() == {new_kid: 2}
    assert not default_storage.exists(legacy_name)
    assert storage.read(version.data_file, purpose="dataset") == plain
    call_command("rotate_keys", "--drop-old", stdout=out)
    assert set(json.loads(own_key_ring.read_text())["keys"]) == {new_kid}
    core_crypto.reset_provider()
    with engine.duckdb_with({"p": version}) as con:
        assert con.execute("SELECT count(*) FROM src_p").fetchone()[0] == 2
    services.report_export(actor=cast.discipline, version=version)


@pytest.mark.django_db
def test_a_version_with_a_missing_file_does_not_stop_rotation(cast, media, own_key_ring):
    version = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, ROWS)
    default_storage.delete(version.data_file)
    assert services.file_key_ids() == {}
    assert services.files_reencrypt() == 0
    with pytest.raises(ValidationError):
        services.report_export(actor=cast.discipline, version=version)
