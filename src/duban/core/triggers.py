"""The audit table's append-only triggers (AU-04), for SQLite and PostgreSQL.

Installed by migration core.0002. ``uninstall`` exists for the test suite only, which must empty
tables between transactional tests, and for a restore into an empty database."""

SQL = {
    "sqlite": {
        "up": [
            """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
               BEGIN SELECT RAISE(ABORT, 'core_auditentry is append-only'); END""",
            """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete BEFORE DELETE ON core_auditentry
               BEGIN SELECT RAISE(ABORT, 'core_auditentry is append-only'); END""",
        ],
        "down": ["DROP TRIGGER IF EXISTS core_auditentry_no_update", "DROP TRIGGER IF EXISTS core_auditentry_no_delete"],
    },
    "postgresql": {
        "up": [
            """CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
               BEGIN RAISE EXCEPTION 'core_auditentry is append-only'; END; $$ LANGUAGE plpgsql""",
            "DROP TRIGGER IF EXISTS core_auditentry_no_update ON core_auditentry",
            """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE OR DELETE ON core_auditentry
               FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()""",
            "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry",
            """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
               FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_append_only()""",
        ],
        "down": [
            "DROP TRIGGER IF EXISTS core_auditentry_no_update ON core_auditentry",
            "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry",
        ],
    },
}


def _run(connection, direction: str) -> None:
    statements = SQL.get(connection.vendor, {}).get(direction, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection) -> None:
    _run(connection, "up")


def uninstall(connection) -> None:
    _run(connection, "down")
