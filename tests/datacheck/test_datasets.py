"""Uploading registries: file types, encodings, mappings, quarantine, snapshots encrypted at rest,
retention."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.datacheck import checks, crypto, engine, services, storage
from duban.datacheck.models import DatasetVersion, Mapping, VersionStatus
from duban.datacheck.schema import Kind

from .helpers import DEATH_HEADERS, PAYMENT_HEADERS, bad_check, csv_bytes, loaded, make_id, xlsx_bytes

ROWS = [[make_id(1), "张一", "低保", "500", "2024-03-10", "6222000000000001", "13800000001"],
        [make_id(2), "李二", "低保", "1.2万元", "2024/3/10", "", ""],
        [make_id(3), "王三", "低保", "￥300", "2024年3月10日", "", ""]]


def upload(cast, raw, file_name="data.csv", kind=Kind.PAYMENTS, name="低保发放", quarantine=True):
    return services.dataset_upload(actor=cast.discipline, name=name, kind=kind, file_name=file_name, raw=raw,
                                   quarantine=quarantine)


@pytest.mark.django_db
def test_a_csv_is_mapped_loaded_and_kept_as_an_encrypted_snapshot_with_its_hash(cast):
    version = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, ROWS)
    assert version.status == VersionStatus.LOADED and version.row_count == 3 and version.rejected_count == 0
    with default_storage.open(version.data_file, "rb") as fh:
        blob = fh.read()
    assert blob.startswith(crypto.MAGIC) and make_id(1).encode() not in blob and b"PAR1" not in blob
    data = storage.read(version.data_file, purpose="dataset")
    assert data.startswith(b"PAR1") and hashlib.sha256(data).hexdigest() == version.sha256
    assert not version.upload_file  # the raw upload is gone once loaded
    with engine.duckdb_with({"p": version}) as con:
        _cols, rows, _t = engine.run_duckdb(con, 'SELECT amount, pay_date FROM src_p ORDER BY _row')
    assert [str(r[0]) for r in rows] == ["500.00", "12000.00", "300.00"]
    assert len({r[1] for r in rows}) == 1  # three writings of one date


@pytest.mark.django_db
def test_a_snapshot_that_does_not_match_its_hash_is_not_used(cast):
    version = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, ROWS)
    DatasetVersion.objects.filter(pk=version.pk).update(sha256="0" * 64)
    version.refresh_from_db()
    with pytest.raises(engine.EngineError, match="SHA-256"), engine.duckdb_with({"p": version}):
        pass


@pytest.mark.django_db
def test_the_mapping_is_saved_per_kind_and_offered_for_the_next_upload(cast):
    headers = ["证件号码", "户主姓名", "项目", "发放金额", "日期", "卡号", "电话"]
    version = upload(cast, csv_bytes(headers, ROWS))
    mapping = dict(zip(["id_number", "name", "programme", "amount", "pay_date", "bank_account", "phone"], headers,
                       strict=True))
    services.dataset_load(actor=cast.discipline, version=version, mapping=mapping)
    assert Mapping.objects.get(kind=Kind.PAYMENTS).columns["id_number"] == "证件号码"
    again = upload(cast, csv_bytes(headers, ROWS))
    assert again.number == 2 and services.suggested_mapping(again) == {**mapping, "unit": ""}


@pytest.mark.django_db
def test_a_gbk_csv_an_xlsx_and_a_parquet_file_all_load(cast):
    gbk = upload(cast, csv_bytes(PAYMENT_HEADERS, ROWS, encoding="gbk"))
    assert gbk.encoding == "gbk"
    assert services.dataset_load(actor=cast.discipline, version=gbk, mapping=services.suggested_mapping(gbk)).row_count == 3
    for fmt in ("xlsx", "parquet"):
        v = loaded(cast.discipline, Kind.DEATHS, DEATH_HEADERS, [[make_id(9), "吴八", "2023-01-01"]], fmt=fmt,
                   name=f"死亡 {fmt}")
        assert v.row_count == 1 and v.file_format == fmt


@pytest.mark.django_db
@pytest.mark.parametrize("raw, file_name, message", [
    (csv_bytes(DEATH_HEADERS, [["1", "2", "3"]]), "deaths.xlsx", "不符"),          # a CSV named .xlsx
    (xlsx_bytes(DEATH_HEADERS, [["1", "2", "3"]]), "deaths.csv", "不符"),          # an XLSX named .csv
    (b"PK\x03\x04" + b"\x00" * 100, "deaths.xlsx", "损坏"),                      # a broken zip
    (b"%PDF-1.4 not a table", "deaths.pdf", "只能上传"),
    (b"", "deaths.csv", "空"),
    ("身份证号,姓名\n".encode() + b"\xff\xfe\x00\x01", "deaths.csv", "不符"),           # binary inside a .csv
])
def test_files_that_are_not_what_they_say_are_refused_and_nothing_is_kept(cast, media, raw, file_name, message):
    with pytest.raises(ValidationError, match=message):
        upload(cast, raw, file_name, kind=Kind.DEATHS)
    assert not DatasetVersion.objects.exists()
    assert not (media / "datacheck").exists() or not any((media / "datacheck").iterdir())


@pytest.mark.django_db
def test_a_header_that_does_not_match_the_mapping_changes_nothing(cast):
    version = upload(cast, csv_bytes(PAYMENT_HEADERS, ROWS))
    mapping = {**services.suggested_mapping(version), "amount": "补贴金额"}
    with pytest.raises(ValidationError) as exc:
        services.dataset_load(actor=cast.discipline, version=version, mapping=mapping)
    assert "没有“补贴金额”这一列" in str(exc.value.error_dict["col_amount"])
    version.refresh_from_db()
    assert version.status == VersionStatus.PENDING and version.upload_file and not version.data_file
    assert not Mapping.objects.exists()


@pytest.mark.django_db
def test_bad_rows_are_quarantined_with_a_report_of_row_column_and_reason(cast):
    rows = ROWS + [[bad_check(make_id(4)), "赵四", "低保", "500", "2024-03-10", "", ""],
                   [make_id(5), "钱五", "低保", "五百", "2024-03-10", "", ""],
                   [make_id(6), "孙六", "低保", "500", "2024-02-30", "", ""],
                   ["", "周七", "低保", "500", "2024-03-10", "", ""]]
    version = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, rows)
    assert (version.status, version.row_count, version.rejected_count) == (VersionStatus.LOADED, 3, 4)
    report = services.report_export(actor=cast.discipline, version=version).decode("utf-8-sig")
    lines = report.splitlines()
    assert lines[0] == "行号,列,内容(已脱敏),原因"
    assert lines[1].startswith("5,身份证号,4228***") and "校验码错误" in lines[1]
    assert "6,金额,五百,金额不是数字" in report and "7,发放日期,2024-02-30,日期不存在" in report
    assert "8,身份证号,,必填项为空" in report
    assert make_id(4)[3:14] not in report  # the report masks the ID numbers too
    assert AuditEntry.objects.filter(event="datacheck_report_exported", object_id=str(version.pk)).count() == 1


@pytest.mark.django_db
def test_without_quarantine_one_bad_row_rejects_the_whole_file(cast):
    rows = ROWS + [[bad_check(make_id(4)), "赵四", "低保", "500", "2024-03-10", "", ""]]
    version = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, rows, quarantine=False)
    assert version.status == VersionStatus.REJECTED and version.row_count == 0 and not version.data_file
    assert version.report_file and "整个文件已拒收" in version.message


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_while_it_is_received(cast, login, settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 2048
    client = login(cast.discipline)
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.csv", csv_bytes(PAYMENT_HEADERS, ROWS * 40))
    response = client.post("/datacheck/datasets/upload/", {"name": "大文件", "kind": "payments", "quarantine": "1",
                                                            "file": big})
    assert response.status_code == 413
    assert not DatasetVersion.objects.exists()


@pytest.mark.django_db
def test_expired_versions_are_purged_by_the_retention_job_with_a_ledger_entry(cast, media,
                                                                             django_capture_on_commit_callbacks):
    from duban.datacheck.jobs import retention_purge

    old = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, ROWS)
    fresh = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, ROWS, name="新数据")
    DatasetVersion.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    stored = media / old.data_file
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_purge() == 1
    assert not stored.exists()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == VersionStatus.PURGED and not old.data_file and old.purged_at
    assert fresh.status == VersionStatus.LOADED
    assert AuditEntry.objects.filter(event="datacheck_dataset_purged", object_id=str(old.pk)).count() == 1


def test_new_files_are_sm4_gcm_through_the_provider_and_legacy_aes_files_still_read(settings):
    from duban.core import crypto as core_crypto

    blob = crypto.encrypt(b"rows", "dataset")
    assert blob.startswith(b"SM4G") and crypto.key_id(blob) == core_crypto.get_provider().current_key_id()
    assert crypto.decrypt(blob, "dataset") == b"rows"
    old = crypto.encrypt_legacy(b"old rows", "dataset")
    assert old.startswith(b"DBC1") and crypto.key_id(old) == crypto.LEGACY
    assert crypto.decrypt(old, "dataset") == b"old rows"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old, "report")


def test_production_refuses_the_development_key_for_legacy_files(settings, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    old = crypto.encrypt_legacy(b"rows", "dataset")
    settings.PRODUCTION = True
    monkeypatch.delenv("DUBAN_DATA_KEY", raising=False)
    settings.DUBAN_DATA_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="DUBAN_DATA_KEY"):
        crypto.decrypt(old, "dataset")
    assert [e.id for e in checks.check_data_key()] == ["datacheck.E001"]
    settings.DUBAN_DATA_KEY = "short"
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt_legacy(b"rows", "dataset")
    settings.DUBAN_DATA_KEY = "ab" * 32
    assert crypto.decrypt(crypto.encrypt_legacy(b"rows", "dataset"), "dataset") == b"rows"
    assert checks.check_data_key() == []


def test_a_blob_does_not_decrypt_for_another_purpose_or_when_tampered(settings):
    blob = crypto.encrypt(b"secret rows", "dataset")
    assert crypto.decrypt(blob, "dataset") == b"secret rows"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(blob, "report")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), "dataset")
    legacy = crypto.encrypt_legacy(b"secret rows", "dataset")
    settings.DUBAN_DATA_KEY = "cd" * 32
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(legacy, "dataset")
