"""`duban rotate-keys`: make a new field-encryption key current, re-encrypt every encrypted column
under it, and optionally drop the keys no ciphertext uses any more (DP-04).

Models take part by declaring ``crypto_fields`` (logical field names whose ciphertext sits in
``<field>_enc``), ``crypto_columns`` (the columns rewritten) and a ``reencrypt()`` method; core
finds them through the app registry, so it imports no higher layer. Encrypted files take part
through their app config: ``crypto_files_reencrypt() -> int`` (files rewritten under the current
key) and ``crypto_file_key_ids() -> {key id: files}`` (datacheck's dataset files). The row MACs
of duban.core.integrity (DP-03) are recomputed under the current key too (rows that still verify).

  duban rotate-keys --init       create the key ring file if there is none (production set-up)
  duban rotate-keys --new-key    add a fresh key to DATA_DIR/keys/crypto-keys.json, make it current
                                 and re-encrypt everything
  duban rotate-keys              re-encrypt everything under the current key (e.g. after putting
                                 a new key first in DUBAN_CRYPTO_KEYS)
  duban rotate-keys --drop-old   afterwards remove the keys no ciphertext refers to
"""

import os
import secrets

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from duban.core import crypto, integrity, ledger


def encrypted_models():
    return [m for m in apps.get_models() if getattr(m, "crypto_fields", None) and hasattr(m, "reencrypt")]


def file_apps():
    return [a for a in apps.get_app_configs() if hasattr(a, "crypto_files_reencrypt")]


def key_ids_in_use() -> dict[str, int]:
    used: dict[str, int] = {}
    for app in file_apps():
        for kid, n in app.crypto_file_key_ids().items():
            used[kid] = used.get(kid, 0) + n
    for kid, n in integrity.key_ids_in_use().items():  # row MACs (DP-03)
        used[kid] = used.get(kid, 0) + n
    for model in encrypted_models():
        columns = [f + "_enc" for f in model.crypto_fields]
        for row in model.objects.values_list(*columns).iterator():
            for blob in row:
                if blob:
                    kid = crypto.CryptoProvider.key_id_of(bytes(blob))
                    used[kid] = used.get(kid, 0) + 1
    return used


class Command(BaseCommand):
    help = "Rotate the field-encryption key: new key, re-encrypt every encrypted column, drop unused keys."

    def add_arguments(self, parser):
        parser.add_argument("--init", action="store_true", help="create the key ring file if missing")
        parser.add_argument("--new-key", action="store_true", help="add a fresh key and make it current")
        parser.add_argument("--drop-old", action="store_true", help="remove keys no ciphertext uses")
        parser.add_argument("--batch", type=int, default=500)

    def _file_ring(self):
        if os.environ.get("DUBAN_CRYPTO_KEYS"):
            raise CommandError("The key ring comes from DUBAN_CRYPTO_KEYS: edit it there (the first key "
                               "is current), then run `duban rotate-keys` to re-encrypt.")
        path = crypto.key_file()
        if not path.exists():
            raise CommandError(f"No key ring at {path}: run `duban rotate-keys --init` first.")
        current, keys = crypto.read_key_file(path)
        return path, current, keys

    def handle(self, *args, init=False, new_key=False, drop_old=False, batch=500, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if init:
            path = crypto.key_file()
            if path.exists() or os.environ.get("DUBAN_CRYPTO_KEYS"):
                self.stdout.write(f"key ring already present ({path if path.exists() else 'DUBAN_CRYPTO_KEYS'})")
            else:
                crypto.write_key_file(path, "k1", {"k1": secrets.token_bytes(crypto.MASTER_KEY_LEN)})
                self.stdout.write(f"created {path} with key k1")
            crypto.reset_provider()
            if not (new_key or drop_old):
                return
        if new_key:
            path, _current, keys = self._file_ring()
            kid = crypto.new_key_id(keys)
            keys[kid] = secrets.token_bytes(crypto.MASTER_KEY_LEN)
            crypto.write_key_file(path, kid, keys)
            crypto.reset_provider()
            self.stdout.write(f"new current key {kid}")
        provider = crypto.get_provider()
        current = provider.current_key_id()
        total = 0
        for model in encrypted_models():
            n = 0
            pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(pks), batch):
                with transaction.atomic():
                    objs = list(model.objects.select_for_update().filter(pk__in=pks[start:start + batch]))
                    for obj in objs:
                        obj.reencrypt()
                    model.objects.bulk_update(objs, list(model.crypto_columns))
                    n += len(objs)
            self.stdout.write(f"{model._meta.label}: {n} rows re-encrypted under {current}")
            total += n
        for model in integrity.sealed_models():
            n, failing = integrity.reseal_under_current_key(model, batch)
            self.stdout.write(f"{model._meta.label}: {n} row MACs recomputed under {current}"
                              + (f", {failing} failing rows left flagged (duban verify-integrity)" if failing else ""))
            total += n
        for app in file_apps():
            n = app.crypto_files_reencrypt()
            self.stdout.write(f"{app.label}: {n} files re-encrypted under {current}")
            total += n
        used = key_ids_in_use()
        dropped = []
        if drop_old:
            path, cur, keys = self._file_ring()
            dropped = [k for k in keys if k != cur and k not in used]
            for k in dropped:
                del keys[k]
            crypto.write_key_file(path, cur, keys)
            crypto.reset_provider()
            self.stdout.write(f"dropped keys: {', '.join(dropped) or 'none'}")
        with transaction.atomic():
            ledger.append(event="crypto_keys_rotated", object_type="crypto", object_id=current,
                          data={"current": current, "rows": total, "dropped": dropped,
                                "in_use": sorted(used)})
        self.stdout.write(self.style.SUCCESS(f"keys in use: {', '.join(sorted(used)) or 'none'}"))
