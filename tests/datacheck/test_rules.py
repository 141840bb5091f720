"""Every rule of the library on the small world (world.py) with its hand-computed hits; the same
definitions compiled for PostgreSQL give the same rows; unsafe rules are refused."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from duban.core.models import AuditEntry
from duban.datacheck import engine, rules, services
from duban.datacheck.models import Lead, Run

from . import world
from .world import ACCT_A, A, B, C, D, E, G, M, X, Y


@pytest.fixture
def versions(cast):
    return world.build(cast.discipline)


def run_template(cast, versions, template, params=None, name=None):
    rule = services.rule_create(actor=cast.discipline, name=name or template, template=template)
    run = services.rule_run(actor=cast.discipline, rule=rule, datasets=world.datasets_for(rule, versions),
                            params=params)
    return rule, run


def subjects(run):
    return sorted(tuple(h.lead.subject_key) for h in run.hits.select_related("lead"))


@pytest.mark.django_db
def test_payments_after_the_death_date_hit_and_a_payment_on_the_death_date_does_not(cast, versions):
    _rule, run = run_template(cast, versions, "deceased_paid")
    assert subjects(run) == [(A,)]
    hit = run.hits.get()
    assert [r["pay_date"] for r in hit.rows["p"]] == ["2024-03-10"]
    assert hit.rows["d"][0]["death_date"] == "2024-03-01" and hit.rows["p"][0]["_row"] == 2


@pytest.mark.django_db
def test_a_recipient_on_the_staff_roster_hits_with_both_payment_rows(cast, versions):
    _rule, run = run_template(cast, versions, "public_employee")
    assert subjects(run) == [(C,)]
    assert len(run.hits.get().rows["p"]) == 2 and run.hits.get().rows["r"][0]["unit"] == "白果乡政府"


@pytest.mark.django_db
def test_a_household_member_on_the_roster_hits_but_the_recipient_himself_does_not(cast, versions):
    _rule, run = run_template(cast, versions, "household_employee")
    assert subjects(run) == [(D,)]
    assert run.hits.get().rows["m"][0]["name"] == "郑十一"


@pytest.mark.django_db
def test_paid_twice_in_one_month_hits_and_a_month_apart_hits_only_by_year(cast, versions):
    _rule, by_month = run_template(cast, versions, "paid_twice")
    assert subjects(by_month) == [(B, "低保", "2024-03-01")]
    _rule, by_quarter = run_template(cast, versions, "paid_twice", {"period": "quarter"}, name="q")
    assert subjects(by_quarter) == [(B, "低保", "2024-01-01")]
    _rule, by_year = run_template(cast, versions, "paid_twice", {"period": "year"}, name="y")
    assert subjects(by_year) == sorted([(B, "低保", "2024-01-01"), (C, "低保", "2024-01-01")])


@pytest.mark.django_db
def test_only_an_amount_above_the_cap_hits_not_one_equal_to_it(cast, versions):
    _rule, run = run_template(cast, versions, "above_cap")
    assert subjects(run) == [(E,)]
    _rule, lower = run_template(cast, versions, "above_cap", {"cap": "2999.99"}, name="lower")
    assert subjects(lower) == sorted([(D,), (E,)])


@pytest.mark.django_db
def test_two_people_on_one_account_hit_and_one_person_paid_twice_to_his_own_does_not(cast, versions):
    _rule, run = run_template(cast, versions, "shared_account")
    assert subjects(run) == [(ACCT_A,)]
    assert sorted(r["name"] for r in run.hits.get().rows["p"]) == ["孙六", "张一"]
    _rule, phones = run_template(cast, versions, "shared_phone")
    assert subjects(phones) == [("13800000001",)]
    assert sorted(r["id_number"] for r in phones.hits.get().rows["p"]) == sorted([A, G])


@pytest.mark.django_db
def test_an_officials_company_winning_his_own_units_contract_hits(cast, versions):
    _rule, run = run_template(cast, versions, "official_enterprise")
    assert subjects(run) == [(X, C)]  # Z's contract is with another unit
    _rule, rel = run_template(cast, versions, "relative_enterprise")
    assert subjects(rel) == [(Y, M)]
    assert [r["buyer_unit"] for r in rel.hits.get().rows["c"]] == ["芭蕉乡政府"]


def _rows_on(dialect, rule, versions, params):
    version = rule.current
    typed = rules.resolve_params(version.definition, params) if version.mode == "builder" else {}
    chosen = world.datasets_for(rule, versions)
    tables = {a: engine.table_name(a) for a in chosen}
    compiled = services.compile_version(version, typed, dialect, tables)
    if dialect == "postgres" and connection.vendor == "postgresql":
        # The PostgreSQL path: the same registries as tables in this database.
        with engine.duckdb_with(chosen) as con, connection.cursor() as cur:
            for alias in chosen:
                # an installation's own tables have no integer key twins: the PG text must not need them
                names = [r[0] for r in con.execute(f'DESCRIBE "{tables[alias]}"').fetchall()
                         if not r[0].startswith("_k_")]
                res = con.execute(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{tables[alias]}"')
                cols = [d[0] for d in res.description]
                data = res.fetchall()
                types = {d[0]: d[1] for d in con.execute(f'DESCRIBE "{tables[alias]}"').fetchall()}
                pg = {"VARCHAR": "TEXT", "INTEGER": "INTEGER", "DATE": "DATE"}
                coldefs = ", ".join(f'"{c}" {pg.get(types[c], "NUMERIC(18,2)")}' for c in cols)
                cur.execute(f'CREATE TEMP TABLE "{tables[alias]}" ({coldefs})')
                marks = ", ".join(["%s"] * len(cols))
                cur.executemany(f'INSERT INTO "{tables[alias]}" VALUES ({marks})', data)
        columns, rows, _t = engine.run_postgres(connection, compiled.sql)
        with connection.cursor() as cur:
            for alias in chosen:
                cur.execute(f'DROP TABLE "{tables[alias]}"')
    else:
        # DuckDB — and, on a SQLite run, the PostgreSQL text too (DuckDB speaks its dialect).
        with engine.duckdb_with(chosen) as con:
            columns, rows, _t = engine.run_duckdb(con, compiled.sql)
    return sorted(tuple(sorted(d.items())) for d in engine.as_dicts(columns, rows))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("template, params", [(t, None) for t in rules.TEMPLATES] + [("paid_twice", {"period": "year"})])
def test_duckdb_and_postgresql_give_the_same_rows(cast, versions, template, params):
    rule = services.rule_create(actor=cast.discipline, name=template, template=template)
    duck = _rows_on("duckdb", rule, versions, params)
    pg = _rows_on("postgres", rule, versions, params)
    assert duck and duck == pg


@pytest.mark.django_db(transaction=True)
def test_an_approved_raw_sql_rule_gives_the_same_rows_on_both_engines(cast, versions):
    rule = services.rule_create_raw(
        actor=cast.discipline, name="死亡后领取(SQL)", sources=[{"alias": "p", "kind": "payments"},
                                                              {"alias": "d", "kind": "deaths"}],
        sql="SELECT p.id_number AS subject, p.amount, d.death_date FROM p JOIN d ON p.id_number = d.id_number "
            "WHERE d.death_date < p.pay_date", key=["subject"])
    services.rule_version_decide(actor=cast.secadmin, version=rule.current, approve=True)
    rule.refresh_from_db()
    assert _rows_on("duckdb", rule, versions, None) == _rows_on("postgres", rule, versions, None) != []


@pytest.mark.django_db
def test_a_run_records_the_rule_version_dataset_versions_and_parameters(cast, versions):
    rule, run = run_template(cast, versions, "above_cap", {"cap": "2999.99"})
    assert run.rule_version == rule.current and run.params == {"cap": "2999.99"}
    assert run.datasets == {"p": versions["payments"].pk}
    assert list(run.dataset_versions.all()) == [versions["payments"]]
    assert AuditEntry.objects.filter(event="datacheck_rule_run", object_id=str(run.pk)).count() == 1


@pytest.mark.django_db
def test_a_second_run_links_its_hit_to_the_earlier_lead_instead_of_raising_a_new_one(cast, versions):
    rule, _first = run_template(cast, versions, "deceased_paid")
    second = services.rule_run(actor=cast.discipline, rule=rule, datasets=world.datasets_for(rule, versions))
    assert Lead.objects.filter(rule=rule).count() == 1
    assert (second.lead_count, second.duplicate_count) == (0, 1)
    lead = Lead.objects.get(rule=rule)
    assert lead.hits.count() == 2 and lead.hits.get(run=second).duplicate


@pytest.mark.django_db
def test_changing_a_parameter_makes_a_new_version_and_old_runs_keep_theirs(cast, versions):
    rule, run = run_template(cast, versions, "above_cap")
    v2 = services.rule_revise(actor=cast.discipline, rule=rule, params={"cap": "100"})
    assert v2.number == 2 and v2.definition["params"]["cap"]["default"] == "100.00"
    run.refresh_from_db()
    assert run.rule_version.number == 1
    with pytest.raises(ValidationError):
        services.rule_revise(actor=cast.discipline, rule=rule, params={"cap": "100"})  # unchanged


@pytest.mark.django_db
def test_a_rule_joining_an_id_number_to_a_date_is_refused():
    defn = {"sources": [{"alias": "p", "kind": "payments"}, {"alias": "d", "kind": "deaths"}],
            "joins": [{"left": "p.id_number", "right": "d.death_date"}], "key": ["p.id_number"]}
    with pytest.raises(ValidationError, match="类型不同"):
        rules.validate(defn)


@pytest.mark.parametrize("defn, message", [
    ({"sources": [{"alias": "p", "kind": "payments"}], "key": ["p.nope"]}, "没有字段"),
    ({"sources": [{"alias": "p", "kind": "nothing"}], "key": ["p.id_number"]}, "数据类型"),
    ({"sources": [{"alias": "p;drop", "kind": "payments"}], "key": ["p.id_number"]}, "别名"),
    ({"sources": [{"alias": "p", "kind": "payments"}, {"alias": "d", "kind": "deaths"}], "key": ["p.id_number"]},
     "连接"),
    ({"sources": [{"alias": "p", "kind": "payments"}], "key": ["p.id_number"],
      "conditions": [{"left": "p.amount", "op": "gt", "right": {"param": "cap"}}],
      "params": {"cap": {"type": "date", "default": "2024-01-01"}}}, "类型与字段"),
])
def test_broken_definitions_are_refused_with_a_reason(defn, message):
    with pytest.raises(ValidationError, match=message):
        rules.validate(defn)


@pytest.mark.parametrize("sql", [
    "DELETE FROM p", "SELECT * FROM p; DROP TABLE p", "COPY p TO '/tmp/out.csv'",
    "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM '/etc/passwd'", "SELECT getenv('HOME')",
    "ATTACH 'other.db'", "SELECT * FROM information_schema.tables", "SELECT * FROM other_table",
    "INSERT INTO p SELECT * FROM p", "SELECT pg_read_file('/etc/passwd')", "SET enable_external_access = true",
])
def test_raw_sql_that_writes_or_reads_files_is_refused(sql):
    with pytest.raises(ValidationError):
        rules.check_raw_sql(sql, ["p"])


@pytest.mark.django_db
def test_a_raw_sql_rule_runs_only_after_the_security_administrator_approves_it(cast, versions):
    rule = services.rule_create_raw(actor=cast.discipline, name="SQL", sources=[{"alias": "p", "kind": "payments"}],
                                    sql="SELECT id_number FROM p WHERE amount > 2000", key=["id_number"])
    with pytest.raises(ValidationError, match="尚未获"):
        services.rule_run(actor=cast.discipline, rule=rule, datasets={"p": versions["payments"]})
    with pytest.raises(PermissionDenied):
        services.rule_version_decide(actor=cast.discipline, version=rule.current, approve=True)
    with pytest.raises(ValidationError):
        services.rule_version_decide(actor=cast.secadmin, version=rule.current, approve=False)  # needs a reason
    services.rule_version_decide(actor=cast.secadmin, version=rule.current, approve=True)
    rule.refresh_from_db()
    run = services.rule_run(actor=cast.discipline, rule=rule, datasets={"p": versions["payments"]})
    assert subjects(run) == sorted([(D,), (E,)])
    assert Run.objects.count() == 1


@pytest.mark.django_db
def test_the_engine_cannot_read_files_even_if_a_query_got_past_the_checker(cast, versions):
    with engine.duckdb_with({"p": versions["payments"]}) as con, pytest.raises(engine.EngineError):
        engine.run_duckdb(con, "SELECT * FROM read_csv('/etc/passwd')")


@pytest.mark.django_db
def test_a_rule_on_a_dataset_of_the_wrong_kind_is_refused(cast, versions):
    rule = services.rule_create(actor=cast.discipline, name="x", template="deceased_paid")
    with pytest.raises(ValidationError) as exc:
        services.rule_run(actor=cast.discipline, rule=rule, datasets={"p": versions["payments"],
                                                                      "d": versions["roster"]})
    assert "ds_d" in exc.value.error_dict


@pytest.mark.django_db
def test_a_run_matching_more_rows_than_the_limit_is_refused_and_raises_no_lead(cast, versions, settings):
    from duban.datacheck.models import Lead, Run

    settings.DUBAN_DATACHECK_MAX_HIT_ROWS = 2
    rule = services.rule_create(actor=cast.discipline, name="超标", template="above_cap", params={"cap": "1"})
    with pytest.raises(ValidationError, match="超过 2 行"):
        services.rule_run(actor=cast.discipline, rule=rule, datasets=world.datasets_for(rule, versions))
    assert not Run.objects.exists() and not Lead.objects.exists()


@pytest.mark.django_db
def test_a_snapshot_written_before_the_integer_keys_still_runs_with_the_same_hits(cast, versions, tmp_path):
    import hashlib

    import duckdb

    from duban.datacheck import storage
    from duban.datacheck.models import DatasetVersion
    from duban.datacheck.schema import Kind

    _rule, before = run_template(cast, versions, "shared_account")
    pay = versions[Kind.PAYMENTS]
    src, dst = tmp_path / "new.parquet", tmp_path / "old.parquet"
    src.write_bytes(storage.read(pay.data_file, purpose="dataset"))
    con = duckdb.connect()
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{src}')").fetchall()]
    assert "_k_id_number" in names and "_k_bank_account" in names
    old_cols = ", ".join(f'"{n}"' for n in names if not n.startswith("_k_"))
    con.execute(f"COPY (SELECT {old_cols} FROM read_parquet('{src}')) TO '{dst}' (FORMAT parquet)")
    con.close()
    data = dst.read_bytes()
    DatasetVersion.objects.filter(pk=pay.pk).update(data_file=storage.write(data, purpose="dataset"),
                                                    sha256=hashlib.sha256(data).hexdigest())
    pay.refresh_from_db()
    _rule2, after = run_template(cast, {**versions, Kind.PAYMENTS: pay}, "shared_account", name="旧快照")
    assert subjects(after) == subjects(before) == [(ACCT_A,)]
    assert [h.rows for h in after.hits.all()] == [h.rows for h in before.hits.all()]
