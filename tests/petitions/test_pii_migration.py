"""Migration petitions 0003 encrypts petitioners already in the database (DP-02 data migration)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from duban.core import crypto
from duban.petitions.models import Petitioner

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("petitions", "0002_default_rules")]
AFTER = [("petitions", "0003_encrypt_petitioner_pii")]


def test_existing_rows_are_encrypted_and_indexed(cast):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldPetition = old.get_model("petitions", "Petition")
    OldPetitioner = old.get_model("petitions", "Petitioner")
    fields = {f.attname for f in OldPetition._meta.fields}
    values = {"received_on": datetime.date(2026, 3, 2), "channel": "visit", "place": "芭蕉乡",
              "matter_type": "征地拆迁", "matter": "补偿", "people_count": 1,
              "responsible_unit_id": cast.bajiao.pk, "accept_deadline": datetime.date(2026, 3, 17)}
    petition = OldPetition.objects.create(**{k: v for k, v in values.items() if k in fields})
    OldPetitioner.objects.create(petition=petition, name="甲", id_number="11010519491231002X", phone="13800001111")
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    person = Petitioner.objects.get(petition_id=petition.pk)
    assert person.id_number == "11010519491231002X" and person.phone == "13800001111"
    assert person.id_number_index == crypto.blind_index("11010519491231002X", "petitions.petitioner.id_number")
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM petitions_petitioner")
        assert "11010519491231002X" not in repr(cur.fetchall())
