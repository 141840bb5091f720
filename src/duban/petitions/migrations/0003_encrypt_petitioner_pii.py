"""Petitioners' ID and phone numbers move to SM4-GCM ciphertext (duban.core.crypto) with a blind
index for the ID number; existing rows are encrypted in place and the plaintext columns dropped."""

import uuid

from django.db import migrations, models


def encrypt_rows(apps, schema_editor):
    from duban.core import crypto

    Petitioner = apps.get_model("petitions", "Petitioner")
    for p in Petitioner.objects.all().iterator():
        p.row_key = uuid.uuid4()
        number = (p.id_number or "").strip()
        phone = (p.phone or "").strip()
        aad = f"petitions.petitioner:{p.row_key}:"
        p.id_number_enc = crypto.encrypt(number.encode(), aad + "id_number") if number else b""
        p.id_number_index = crypto.blind_index(number, "petitions.petitioner.id_number") if number else ""
        p.phone_enc = crypto.encrypt(phone.encode(), aad + "phone") if phone else b""
        p.save(update_fields=["row_key", "id_number_enc", "id_number_index", "phone_enc"])


def decrypt_rows(apps, schema_editor):
    from duban.core import crypto

    Petitioner = apps.get_model("petitions", "Petitioner")
    for p in Petitioner.objects.all().iterator():
        aad = f"petitions.petitioner:{p.row_key}:"
        p.id_number = crypto.decrypt(bytes(p.id_number_enc), aad + "id_number").decode() if p.id_number_enc else ""
        p.phone = crypto.decrypt(bytes(p.phone_enc), aad + "phone").decode() if p.phone_enc else ""
        p.save(update_fields=["id_number", "phone"])


class Migration(migrations.Migration):
    dependencies = [("petitions", "0002_default_rules")]

    operations = [
        migrations.AddField("petitioner", "row_key", models.UUIDField(null=True, editable=False)),
        migrations.AddField("petitioner", "id_number_enc",
                            models.BinaryField(default=b"", verbose_name="身份证号(密文)")),
        migrations.AddField("petitioner", "id_number_index",
                            models.CharField(db_index=True, default="", max_length=64)),
        migrations.AddField("petitioner", "phone_enc",
                            models.BinaryField(blank=True, default=b"", verbose_name="电话(密文)")),
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.AlterField("petitioner", "row_key",
                              models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
        migrations.RemoveField("petitioner", "id_number"),
        migrations.RemoveField("petitioner", "phone"),
    ]
