"""`duban verify-ledger` (AU-05) and `duban createadmin` (AC-01, IA-02)."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from duban.accounts.models import User
from duban.core import ledger, triggers
from duban.core.models import AuditEntry
from duban.core.roles import Role

pytestmark = pytest.mark.django_db


GOOD = "Qiu-Shui-Lake#2031"


# --- verify-ledger -------------------------------------------------------------------------------
def _verify():
    out = io.StringIO()
    try:
        call_command("verify_ledger", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


@pytest.fixture
def chain(db):
    return [ledger.append(event="probe_event", object_type="x", object_id=str(i), data={"i": i}) for i in range(6)]


@pytest.fixture
def untriggered(chain):
    """The audit table with its append-only triggers lifted, as an attacker with database
    access would have it; put back afterwards."""
    triggers.uninstall(connection)
    yield connection.cursor()
    triggers.install(connection)


def test_an_intact_ledger_verifies_and_exits_zero(chain):
    code, out = _verify()
    assert code == 0
    assert f"checked {AuditEntry.objects.count()} entries" in out and "intact" in out


def test_an_edited_field_is_reported_as_the_first_bad_entry(chain, untriggered):
    untriggered.execute("UPDATE core_auditentry SET data = %s WHERE id = %s", ['{"i": 99}', chain[2].pk])
    code, out = _verify()
    assert code == 2
    assert f"seq={chain[2].seq} id={chain[2].pk}" in out and "content does not match its MAC" in out
    assert f"checked {chain[2].seq - 1} entries" in out


def test_a_deleted_row_is_reported(chain, untriggered):
    untriggered.execute("DELETE FROM core_auditentry WHERE id = %s", [chain[3].pk])
    code, out = _verify()
    assert code == 2
    assert f"seq={chain[3].seq} id={chain[4].pk}" in out and "missing" in out


def test_a_deleted_tail_is_reported(chain, untriggered):
    untriggered.execute("DELETE FROM core_auditentry WHERE id = %s", [chain[-1].pk])
    code, out = _verify()
    assert code == 2 and f"seq={chain[-1].seq}" in out and "ledger head" in out


def test_a_forged_row_is_reported(chain, untriggered):
    last = chain[-1]
    # A forger who knows the chain's last MAC but not the key: the link is right, the MAC is not.
    untriggered.execute(
        "INSERT INTO core_auditentry (seq, created_at, actor_id, actor_name, actor_role, ip, request_id, event, "
        "outcome, object_type, object_id, object_repr, data, prev_mac, mac) VALUES "
        "(%s, %s, NULL, 'forger', '', NULL, '', 'role_granted', 'success', 'accounts.user', '1', '', %s, %s, %s)",
        [last.seq + 1, last.created_at, '{}', last.mac, "f" * 64])
    forged_id = AuditEntry.objects.get(seq=last.seq + 1).pk
    code, out = _verify()
    assert code == 2 and f"seq={last.seq + 1} id={forged_id}" in out and "MAC" in out


def test_two_swapped_rows_are_reported(chain, untriggered):
    a, b = chain[1], chain[4]
    untriggered.execute("UPDATE core_auditentry SET seq = -1 WHERE id = %s", [a.pk])
    untriggered.execute("UPDATE core_auditentry SET seq = %s WHERE id = %s", [a.seq, b.pk])
    untriggered.execute("UPDATE core_auditentry SET seq = %s WHERE id = %s", [b.seq, a.pk])
    code, out = _verify()
    assert code == 2 and f"seq={a.seq} id={b.pk}" in out


def test_verify_ledger_rejects_a_bad_batch_size(chain):
    with pytest.raises(CommandError, match="--batch"):
        call_command("verify_ledger", "--batch", "0")


# --- createadmin ------------------------------------------------------------------------------------
def _createadmin(monkeypatch, *args, stdin=None, tty_passwords=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    if tty_passwords is not None:
        answers = iter(tty_passwords)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
        monkeypatch.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    out = io.StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def test_a_fresh_database_has_no_accounts_at_all():
    # The test database was built by `migrate`: no default administrator was planted (AC-01).
    assert User.objects.count() == 0


def test_createadmin_makes_a_working_administrator_from_the_terminal(monkeypatch, client):
    out = _createadmin(monkeypatch, "--username", "wangfang", "--role", "secadmin", "--full-name", "王芳",
                       tty_passwords=[GOOD, GOOD])
    assert "wangfang" in out
    user = User.objects.get(username="wangfang")
    assert user.role == Role.SECADMIN and not user.must_change_password and not user.is_superuser
    entry = AuditEntry.objects.get(event="admin_created")
    assert entry.object_id == str(user.pk) and entry.data["role"] == "secadmin" and entry.request_id
    assert GOOD not in str(entry.data)
    assert client.post("/accounts/login/", {"username": "wangfang", "password": GOOD}).status_code == 302
    assert client.get("/accounts/roles/").status_code == 200


def test_createadmin_reads_the_password_from_stdin_and_places_the_admin_in_a_unit(monkeypatch, cast):
    _createadmin(monkeypatch, "--username", "liuyang", "--role", "auditor", "--unit", "SWB", "--password-stdin",
                 stdin=GOOD + "\n")
    user = User.objects.get(username="liuyang")
    assert user.role == Role.AUDITOR and user.unit == cast.office and user.check_password(GOOD)


@pytest.mark.parametrize("name", ["admin", "Root", "sa", "TEST", "系统管理员"])
def test_createadmin_refuses_default_names(monkeypatch, name):
    with pytest.raises(CommandError, match="reserved"):
        _createadmin(monkeypatch, "--username", name, "--role", "sysadmin", "--password-stdin", stdin=GOOD)
    assert not User.objects.exists() and not AuditEntry.objects.filter(event="admin_created").exists()


def test_createadmin_refuses_mismatched_or_missing_passwords(monkeypatch):
    with pytest.raises(CommandError, match="differ"):
        _createadmin(monkeypatch, "--username", "zhaolei", "--role", "sysadmin", tty_passwords=[GOOD, GOOD + "x"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command("createadmin", "--username", "zhaolei", "--role", "sysadmin")
    with pytest.raises(CommandError, match="empty"):
        _createadmin(monkeypatch, "--username", "zhaolei", "--role", "sysadmin", "--password-stdin", stdin="\n")
    assert not User.objects.exists()


def test_createadmin_refuses_business_roles_unknown_units_and_taken_names(monkeypatch, cast):
    with pytest.raises(CommandError):
        _createadmin(monkeypatch, "--username", "zhaolei", "--role", "supervisor", "--password-stdin", stdin=GOOD)
    with pytest.raises(CommandError, match="no unit"):
        _createadmin(monkeypatch, "--username", "zhaolei", "--role", "sysadmin", "--unit", "NOPE",
                     "--password-stdin", stdin=GOOD)
    with pytest.raises(CommandError, match="已存在"):
        _createadmin(monkeypatch, "--username", "SYSADMIN1", "--role", "sysadmin", "--password-stdin", stdin=GOOD)
    assert not User.objects.filter(username="zhaolei").exists()


def test_the_duban_cli_runs_createadmin_and_verify_ledger_with_dashes(tmp_path):
    """The real command line, in its own process and database: exit codes as a cron job sees them."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(DUBAN_DATA_DIR=str(tmp_path), DUBAN_ENV="development")

    def duban(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "duban", *args], input=stdin, capture_output=True, text=True,
                              env=env, timeout=180)

    assert duban("migrate", "-v0").returncode == 0
    result = duban("verify-ledger")
    assert result.returncode == 0 and "checked 0 entries" in result.stdout
    result = duban("createadmin", "--username", "admin", "--role", "sysadmin", "--password-stdin", stdin=GOOD + "\n")
    assert result.returncode != 0 and "reserved" in result.stderr
    result = duban("createadmin", "--username", "zhangwei", "--role", "sysadmin", "--password-stdin",
                   stdin="Aa123456\n")
    assert result.returncode != 0 and "refused" in result.stderr
    result = duban("createadmin", "--username", "zhangwei", "--role", "sysadmin", "--password-stdin", stdin=GOOD + "\n")
    assert result.returncode == 0, result.stderr
    result = duban("verify-ledger")
    assert result.returncode == 0 and "checked 1 entries" in result.stdout
