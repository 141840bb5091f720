"""DP-03 for role grants: the username, role and unit of an account carry a row MAC. A role written
into the database directly is flagged by `duban verify-integrity`, the role pages show
数据完整性校验失败 instead of it, and the sighting is an `integrity_failure` row that alerts the
security administrators. `duban rotate-keys` recomputes the MACs under the new key."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from duban.accounts import services
from duban.accounts.models import User
from duban.core import crypto
from duban.core.models import AuditEntry
from duban.notices.models import Notice

pytestmark = pytest.mark.django_db
ERROR = "数据完整性校验失败"


def verify_integrity():
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_integrity", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def sql_set_role(user, role):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET role = %s WHERE id = %s", [role, user.pk])


def test_a_granted_role_verifies_and_the_command_passes(cast):
    newcomer = services.user_create(actor=cast.sysadmin, username="newcomer", password="Qiu-Shui-Lake#2031",
                                    full_name="新人", unit=cast.bajiao)
    services.role_grant(actor=cast.secadmin, user=newcomer, role="liaison", unit=cast.bajiao)
    assert User.objects.get(pk=newcomer.pk).integrity_ok
    code, out = verify_integrity()
    assert code == 0 and "every row verifies" in out
    assert AuditEntry.objects.filter(event="integrity_verified").exists()


def test_a_role_written_by_sql_is_flagged_shown_as_an_integrity_error_and_alerts_the_secadmin(cast, login):
    sql_set_role(cast.leader, "sysadmin")
    code, out = verify_integrity()
    assert code == 1 and f"accounts.user:{cast.leader.pk} mismatch" in out
    assert f"accounts.user:{cast.supervisor.pk}" not in out  # untouched accounts verify
    scan = AuditEntry.objects.filter(event="integrity_failure", object_id="scan").get()
    assert f"accounts.user:{cast.leader.pk}" in scan.data["rows"]

    client = login(cast.secadmin)
    page = client.get(f"/accounts/roles/{cast.leader.pk}/").content.decode()
    assert ERROR in page and "系统管理员" not in page.split("当前角色")[1].split("</h2>")[0]
    listing = client.get("/accounts/roles/?q=leader").content.decode()
    assert ERROR in listing
    entry = AuditEntry.objects.filter(event="integrity_failure", object_type="accounts.user",
                                      object_id=str(cast.leader.pk)).get()  # once, however often it is shown
    assert entry.actor_id == cast.secadmin.pk and entry.data["kind"] == "row_mac"
    assert Notice.objects.filter(user=cast.secadmin, title__contains="完整性校验失败").exists()
    assert ERROR not in client.get(f"/accounts/roles/{cast.supervisor.pk}/").content.decode()  # untouched


def test_a_later_save_does_not_launder_a_tampered_role_and_the_secadmin_can_accept_after_review(cast):
    sql_set_role(cast.leader, "sysadmin")
    user = User.objects.get(pk=cast.leader.pk)
    user.first_name = "改"
    user.save()  # a full save: the stored row fails, so its MAC is left as it was
    assert not User.objects.get(pk=user.pk).integrity_ok
    call_command("verify_integrity", accept=[f"accounts.user:{user.pk}"], stdout=io.StringIO())
    assert User.objects.get(pk=user.pk).integrity_ok
    assert AuditEntry.objects.filter(event="integrity_accepted", object_id=str(user.pk)).exists()
    assert verify_integrity()[0] == 0


@pytest.fixture
def own_key_ring(settings, tmp_path, monkeypatch):
    """A key ring file of this test's own (rotate-keys rewrites it)."""
    settings.DATA_DIR = tmp_path
    settings.DUBAN_CRYPTO_KEYS = None
    monkeypatch.delenv("DUBAN_CRYPTO_KEYS", raising=False)
    crypto.reset_provider()
    yield
    crypto.reset_provider()


def test_rotate_keys_recomputes_the_macs_under_the_new_key_and_keeps_flagged_rows_flagged(own_key_ring):
    from castlib import build_cast

    cast = build_cast()  # sealed under this ring's first key
    first = crypto.get_provider().current_key_id()
    sql_set_role(cast.leader, "sysadmin")
    call_command("rotate_keys", new_key=True, stdout=io.StringIO())
    current = crypto.get_provider().current_key_id()
    macs = dict(User.objects.values_list("pk", "row_mac"))
    assert current != first and macs[cast.supervisor.pk].startswith(current + ":")
    assert macs[cast.leader.pk].startswith(first + ":")  # a tampered row is not sealed again
    call_command("rotate_keys", drop_old=True, stdout=io.StringIO())
    assert first in crypto.get_provider().key_ids()  # the flagged row still refers to it
    code, out = verify_integrity()
    assert code == 1 and out.count("mismatch") == 1 and f"accounts.user:{cast.leader.pk} mismatch" in out
