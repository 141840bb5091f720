"""The rule builder: a definition (plain JSON, built by choosing datasets, join keys, conditions
and parameters — never SQL) is validated against the dataset kinds and compiled to SQL for one of
two dialects, DuckDB (the embedded engine) and PostgreSQL (for installations that keep their
registries there). Identifiers come only from the schema and are quoted; parameters are typed,
validated and rendered as typed literals, so no user text reaches the SQL as code.

A definition::

    {"sources": [{"alias": "p", "kind": "payments"}, {"alias": "d", "kind": "deaths"}],
     "joins": [{"left": "p.id_number", "right": "d.id_number"}],
     "conditions": [{"left": "d.death_date", "op": "lt", "right": {"field": "p.pay_date"}}],
     "group": null,   # or {"by": [...], "period": {"field": "p.pay_date", "unit": {"param": "period"}},
                      #     "count": "rows" | "<alias.field>" (distinct), "min": {"param": "min_count"}}
     "key": ["p.id_number"],
     "params": {"cap": {"type": "amount", "label": "…", "default": "5000"}}}

The query returns every field of every source (as "<alias>.<field>", plus "<alias>._row", the
row's line in its file); hits are those rows grouped by the key.

A raw-SQL rule (approved by the security administrator) is checked by ``check_raw_sql``: one
SELECT over the rule's source aliases only — no writes, no DDL, no file or table functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlglot
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sqlglot import exp

from duban.datacheck import schema, validators

OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
UNARY_OPS = {"present": "IS NOT NULL"}
PARAM_TYPES = ("amount", "int", "date", "period", "text")
PERIODS = ("month", "quarter", "year")
ALIAS_RE = re.compile(r"[a-z][a-z0-9_]{0,15}")
ROW = "_row"


@dataclass
class Compiled:
    sql: str
    key: list[str]          # output column names of the key
    columns: list[str]      # every output column
    types: dict[str, str]   # output column → field type


def _bad(msg):
    return ValidationError({"definition": ValidationError(msg, code="invalid_rule")})


def _sources(defn) -> dict[str, str]:
    sources = defn.get("sources")
    if not isinstance(sources, list) or not sources:
        raise _bad(_("规则至少要选择一个数据集。"))
    out = {}
    for s in sources:
        alias, kind = (s or {}).get("alias"), (s or {}).get("kind")
        if not isinstance(alias, str) or not ALIAS_RE.fullmatch(alias) or alias in out:
            raise _bad(_("数据集别名“%(a)s”无效或重复。") % {"a": alias})
        if kind not in schema.FIELDS:
            raise _bad(_("没有“%(k)s”这种数据类型。") % {"k": kind})
        out[alias] = kind
    return out


def _ref(sources, ref) -> tuple[str, schema.Field]:
    if not isinstance(ref, str) or ref.count(".") != 1:
        raise _bad(_("字段“%(r)s”应写成“别名.字段”。") % {"r": ref})
    alias, name = ref.split(".")
    if alias not in sources:
        raise _bad(_("字段“%(r)s”所属的数据集未选择。") % {"r": ref})
    f = schema.field(sources[alias], name)
    if f is None:
        raise _bad(_("数据类型“%(k)s”没有字段“%(f)s”。") % {"k": sources[alias], "f": name})
    return alias, f


def clean_param(spec: dict, value):
    """The typed value of one parameter (raises ValueError with a message)."""
    t = spec["type"]
    if value is None or value == "":
        raise ValueError(_("参数不能为空"))
    if t == "amount":
        return validators.clean_amount(value)
    if t == "int":
        try:
            n = int(str(value).strip())
        except ValueError:
            raise ValueError(_("应为整数")) from None
        if not 0 <= n <= 1_000_000:
            raise ValueError(_("应为0至1000000之间的整数"))
        return n
    if t == "date":
        return validators.clean_date(value)
    if t == "period":
        if value not in PERIODS:
            raise ValueError(_("期间应为月、季度或年"))
        return value
    return validators.clean_text(value)


def param_type_matches(param_type: str, field_type: str) -> bool:
    return {"amount": {"amount"}, "int": {"amount"}, "date": {"date"}, "text": {"text", "name"}}.get(
        param_type, set()).__contains__(field_type)


def validate(defn) -> dict:
    """Check a builder definition; return it normalised. Raises ValidationError (field
    "definition") naming the first problem."""
    if not isinstance(defn, dict):
        raise _bad(_("规则定义无效。"))
    sources = _sources(defn)
    params = defn.get("params") or {}
    for name, spec in params.items():
        if not ALIAS_RE.fullmatch(name) or not isinstance(spec, dict) or spec.get("type") not in PARAM_TYPES:
            raise _bad(_("参数“%(p)s”无效。") % {"p": name})
        if "default" in spec:
            try:
                clean_param(spec, spec["default"])
            except ValueError as exc:
                raise _bad(_("参数“%(p)s”的默认值无效:%(e)s") % {"p": name, "e": exc}) from None
    joined = [next(iter(sources))]
    for j in defn.get("joins") or []:
        la, lf = _ref(sources, (j or {}).get("left"))
        ra, rf = _ref(sources, (j or {}).get("right"))
        if la not in joined or ra in joined:
            raise _bad(_("关联“%(l)s = %(r)s”:左边应为已选数据集,右边应为新加入的数据集。")
                       % {"l": j["left"], "r": j["right"]})
        if lf.type != rf.type:
            raise _bad(_("关联“%(l)s = %(r)s”的两个字段类型不同(%(a)s 与 %(b)s),不能关联。")
                       % {"l": j["left"], "r": j["right"], "a": schema.TYPE_LABELS[lf.type],
                          "b": schema.TYPE_LABELS[rf.type]})
        joined.append(ra)
    if set(joined) != set(sources):
        raise _bad(_("每个选择的数据集都要通过关联字段连接起来。"))
    for c in defn.get("conditions") or []:
        _a, f = _ref(sources, (c or {}).get("left"))
        op = c.get("op")
        if op in UNARY_OPS:
            continue
        if op not in OPS:
            raise _bad(_("条件运算“%(o)s”无效。") % {"o": op})
        right = c.get("right") or {}
        if "field" in right:
            _b, g = _ref(sources, right["field"])
            if g.type != f.type:
                raise _bad(_("条件“%(l)s”与“%(r)s”类型不同,不能比较。") % {"l": c["left"], "r": right["field"]})
        elif "param" in right:
            spec = params.get(right["param"])
            if spec is None:
                raise _bad(_("条件用到的参数“%(p)s”没有定义。") % {"p": right["param"]})
            if not param_type_matches(spec["type"], f.type):
                raise _bad(_("参数“%(p)s”的类型与字段“%(f)s”不符。") % {"p": right["param"], "f": c["left"]})
        else:
            raise _bad(_("条件“%(l)s”缺少比较对象。") % {"l": c["left"]})
    group = defn.get("group")
    if group:
        for ref in group.get("by") or []:
            _ref(sources, ref)
        if not group.get("by"):
            raise _bad(_("分组规则至少要有一个分组字段。"))
        period = group.get("period")
        if period:
            _a, f = _ref(sources, period.get("field"))
            if f.type != "date":
                raise _bad(_("期间字段必须是日期。"))
            unit = period.get("unit") or {}
            if unit.get("param") not in params or params[unit["param"]]["type"] != "period":
                raise _bad(_("期间单位应为一个“期间”类型的参数。"))
        if group.get("count", "rows") != "rows":
            _ref(sources, group["count"])
        mn = group.get("min") or {}
        if mn.get("param") not in params or params[mn["param"]]["type"] != "int":
            raise _bad(_("分组规则的最少次数应为一个整数参数。"))
    key = defn.get("key") or []
    if not key:
        raise _bad(_("规则要指明线索的主体字段(如身份证号)。"))
    for ref in key:
        _ref(sources, ref)
    return defn


def resolve_params(defn, values: dict | None) -> dict:
    """The typed parameter values for a run: given values over the defaults. Raises
    ValidationError keyed "param_<name>"."""
    values = values or {}
    out, errors = {}, {}
    for name, spec in (defn.get("params") or {}).items():
        raw = values.get(name, spec.get("default"))
        try:
            out[name] = clean_param(spec, raw)
        except ValueError as exc:
            errors[f"param_{name}"] = ValidationError(str(exc), code="invalid_param")
    if errors:
        raise ValidationError(errors)
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value, dialect: str) -> str:
    if isinstance(value, bool):  # pragma: no cover - no boolean parameters
        raise TypeError(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"CAST({format(value, 'f')} AS {'NUMERIC' if dialect == 'postgres' else 'DECIMAL'}(18,2))"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def compile_rule(defn, params: dict, tables: dict[str, str], dialect: str = "duckdb") -> Compiled:
    """SQL for ``defn`` with typed ``params``; ``tables`` maps each alias to its table name.

    How the SQL is shaped for speed (DuckDB over 10M-row snapshots; the PostgreSQL text has the
    same shape and gives the same rows):

    * On DuckDB, joins, ``=``/``≠`` between two id/phone/account fields, grouping and distinct
      counts use the integer twin ``_k_<field>`` of the field (schema.KEY_TYPES) instead of the
      text; PostgreSQL compares the text (an installation's tables have no twins).
    * A grouping rule first finds the qualifying groups from the group columns alone (a narrow
      scan), then joins them back to the source rows — never a CTE of every column of every row
      referenced twice.
    """
    if dialect not in ("duckdb", "postgres"):
        raise ValueError(dialect)
    validate(defn)
    sources = _sources(defn)
    cols, types = [], {}
    select = []
    for alias, kind in sources.items():
        select.append(f"{_q(alias)}.{_q(ROW)} AS {_q(alias + '.' + ROW)}")
        cols.append(f"{alias}.{ROW}")
        types[f"{alias}.{ROW}"] = "int"
        for f in schema.fields(kind):
            out = f"{alias}.{f.name}"
            select.append(f"{_q(alias)}.{_q(f.name)} AS {_q(out)}")
            cols.append(out)
            types[out] = f.type

    def col(ref):
        a, n = ref.split(".")
        return f"{_q(a)}.{_q(n)}"

    def kcol(ref):
        """The column to compare, join or group on: the integer twin on DuckDB."""
        if dialect == "duckdb" and types[ref] in schema.KEY_TYPES:
            a, n = ref.split(".")
            return f"{_q(a)}.{_q(schema.KEY_PREFIX + n)}"
        return col(ref)

    aliases = list(sources)
    frm = f"{_q(tables[aliases[0]])} AS {_q(aliases[0])}"
    for j in defn.get("joins") or []:
        ra = j["right"].split(".")[0]
        frm += f"\n  JOIN {_q(tables[ra])} AS {_q(ra)} ON {kcol(j['left'])} = {kcol(j['right'])}"
    where = []
    for ref in dict.fromkeys(r for j in defn.get("joins") or [] for r in (j["left"], j["right"])):
        where.append(f"{kcol(ref)} IS NOT NULL")  # NULL never joins, but say so for both engines
    for c in defn.get("conditions") or []:
        if c["op"] in UNARY_OPS:
            where.append(f"{col(c['left'])} IS NOT NULL AND {col(c['left'])} <> ''"
                         if types[c["left"]] not in ("amount", "date") else f"{col(c['left'])} IS NOT NULL")
            continue
        right = c["right"]
        if "field" in right and c["op"] in ("eq", "ne"):
            where.append(f"{kcol(c['left'])} {OPS[c['op']]} {kcol(right['field'])}")
            continue
        rhs = col(right["field"]) if "field" in right else _literal(params[right["param"]], dialect)
        where.append(f"{col(c['left'])} {OPS[c['op']]} {rhs}")
    where = list(dict.fromkeys(where))
    where_sql = ("\nWHERE " + "\n  AND ".join(where)) if where else ""
    key = list(defn["key"])
    group = defn.get("group")
    row_order = ", ".join(_q(f"{a}.{ROW}") for a in aliases)
    if not group:
        base = "SELECT " + ",\n  ".join(select) + "\nFROM " + frm + where_sql
        return Compiled(sql=f"SELECT * FROM (\n{base}\n) AS base\nORDER BY "
                            + ", ".join(_q(k) for k in key) + ", " + row_order,
                        key=key, columns=cols, types=types)
    # Grouping: the qualifying groups from the narrow group columns, then their rows.
    gexprs = [kcol(b) for b in group["by"]]
    gnames = [_q(f"_g{i}") for i in range(len(gexprs))]
    period = group.get("period")
    extra_select = []
    if period:
        unit = params[period["unit"]["param"]]
        pexpr = f"CAST(date_trunc({_literal(unit, dialect)}, {col(period['field'])}) AS DATE)"
        gexprs.append(pexpr)
        gnames.append(_q("_period"))
        extra_select.append(f"{_q('g')}.{_q('_period')} AS {_q('_period')}")
        cols = ["_period", *cols]
        types["_period"] = "date"
        key = [*key, "_period"]
    if group.get("count", "rows") == "rows":
        count = "COUNT(*)"
    else:
        count = f"COUNT(DISTINCT {kcol(group['count'])})"
    minimum = _literal(params[group["min"]["param"]], dialect)
    gsel = ", ".join(f"{e} AS {n}" for e, n in zip(gexprs, gnames, strict=True))
    g = (f"SELECT {gsel}\nFROM {frm}{where_sql}\nGROUP BY {', '.join(gexprs)}\nHAVING {count} >= {minimum}")
    on = " AND ".join(f"{e} = {_q('g')}.{n}" for e, n in zip(gexprs, gnames, strict=True))
    base = ("SELECT " + ",\n  ".join(extra_select + select) + "\nFROM " + frm
            + f"\n  JOIN g ON {on}" + where_sql)
    sql = (f"WITH g AS (\n{g}\n)\nSELECT * FROM (\n{base}\n) AS base\nORDER BY "
           + ", ".join(_q(k) for k in key) + ", " + row_order)
    return Compiled(sql=sql, key=key, columns=cols, types=types)


# --- raw SQL ---------------------------------------------------------------------------------
FORBIDDEN_NODES = tuple(getattr(exp, n) for n in (
    "Insert", "Update", "Delete", "Create", "Drop", "Alter", "Command", "Copy", "Merge", "Set", "Pragma",
    "Use", "Attach", "Detach", "Install", "Load", "Export", "Grant", "Revoke", "TruncateTable", "Into",
    "Transaction", "Commit", "Rollback", "Describe", "Cache", "Uncache", "Refresh", "LoadData", "Lock",
) if hasattr(exp, n))
FORBIDDEN_FUNCTION = re.compile(
    r"(read_|scan|glob|file|copy|export|import|attach|load|install|httpfs|sqlite|postgres|mysql|query|"
    r"getenv|current_setting|pg_|lo_|dblink|system|shell|duckdb_|setting)", re.IGNORECASE)


def check_raw_sql(sql: str, aliases: list[str]) -> str:
    """The statement, if it is one read-only SELECT over ``aliases``; ValidationError otherwise."""
    def bad(msg):
        return ValidationError({"sql": ValidationError(msg, code="unsafe_sql")})

    if not sql or not sql.strip():
        raise bad(_("请填写SQL。"))
    if len(sql) > 20000:
        raise bad(_("SQL过长。"))
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise bad(_("SQL无法解析:%(e)s") % {"e": str(exc).splitlines()[0][:200]}) from None
    if len(statements) != 1:
        raise bad(_("只能有一条SELECT语句。"))
    tree = statements[0]
    if not isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        raise bad(_("只允许只读的SELECT查询。"))
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise bad(_("只允许只读的SELECT查询,不能写入或修改。"))
        if isinstance(node, exp.Func):
            name = node.sql_name() if not isinstance(node, exp.Anonymous) else str(node.this)
            if FORBIDDEN_FUNCTION.search(name or ""):
                raise bad(_("不允许使用函数 %(f)s(不能读取文件或系统信息)。") % {"f": name})
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.args.get("db") or table.args.get("catalog"):
            raise bad(_("只能查询本规则选择的数据集(%(a)s)。") % {"a": ", ".join(aliases)})
        if table.name not in aliases and table.name not in ctes:
            raise bad(_("只能查询本规则选择的数据集(%(a)s),不能查询“%(t)s”。")
                      % {"a": ", ".join(aliases), "t": table.name})
    return tree.sql(dialect="duckdb")


def raw_to_dialect(sql: str, dialect: str, tables: dict[str, str]) -> str:
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.name in tables and table.name not in ctes:
            alias = table.alias or table.name
            table.set("this", exp.to_identifier(tables[table.name], quoted=True))
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return tree.sql(dialect=dialect)


# --- the library ----------------------------------------------------------------------------
def _p(type_, label, default):
    return {"type": type_, "label": label, "default": default}


TEMPLATES: dict[str, dict] = {
    "deceased_paid": {
        "name": gettext_lazy("死亡后仍领取补贴"),
        "description": gettext_lazy("发放日期晚于死亡登记日期的发放记录(虚报冒领)。"),
        "definition": {
            "sources": [{"alias": "p", "kind": "payments"}, {"alias": "d", "kind": "deaths"}],
            "joins": [{"left": "p.id_number", "right": "d.id_number"}],
            "conditions": [{"left": "d.death_date", "op": "lt", "right": {"field": "p.pay_date"}}],
            "key": ["p.id_number"]},
    },
    "public_employee": {
        "name": gettext_lazy("公职人员领取补贴"),
        "description": gettext_lazy("补贴领取人是财政供养人员(吃空饷、优亲厚友)。"),
        "definition": {
            "sources": [{"alias": "p", "kind": "payments"}, {"alias": "r", "kind": "roster"}],
            "joins": [{"left": "p.id_number", "right": "r.id_number"}],
            "key": ["p.id_number"]},
    },
    "household_employee": {
        "name": gettext_lazy("领取人家庭成员是公职人员"),
        "description": gettext_lazy("补贴领取人同户的家庭成员在财政供养人员名册中(优亲厚友)。"),
        "definition": {
            "sources": [{"alias": "p", "kind": "payments"}, {"alias": "h", "kind": "household"},
                        {"alias": "m", "kind": "household"}, {"alias": "r", "kind": "roster"}],
            "joins": [{"left": "p.id_number", "right": "h.id_number"},
                      {"left": "h.household_no", "right": "m.household_no"},
                      {"left": "m.id_number", "right": "r.id_number"}],
            "conditions": [{"left": "m.id_number", "op": "ne", "right": {"field": "p.id_number"}}],
            "key": ["p.id_number"]},
    },
    "paid_twice": {
        "name": gettext_lazy("同一项目同期重复领取"),
        "description": gettext_lazy("同一身份证号在同一补贴项目的同一期间内领取多次。"),
        "definition": {
            "sources": [{"alias": "p", "kind": "payments"}],
            "group": {"by": ["p.id_number", "p.programme"],
                      "period": {"field": "p.pay_date", "unit": {"param": "period"}},
                      "count": "rows", "min": {"param": "min_count"}},
            "params": {"period": _p("period", "期间", "month"), "min_count": _p("int", "最少次数", 2)},
            "key": ["p.id_number", "p.programme"]},
    },
    "above_cap": {
        "name": gettext_lazy("单笔发放超过标准"),
        "description": gettext_lazy("单笔发放金额高于上限。"),
        "definition": {
            "sources": [{"alias": "p", "kind": "payments"}],
            "conditions": [{"left": "p.amount", "op": "gt", "right": {"param": "cap"}}],
            "params": {"cap": _p("amount", "上限(元)", "3000")},
            "key": ["p.id_number"]},
    },
    "shared_account": {
        "name": gettext_lazy("多人共用一个银行账号"),
        "description": gettext_lazy("不同领取人的补贴发到同一个银行账号。"),
        "definition": {
            "sources": [{"alias": "p", "kind": "payments"}],
            "conditions": [{"left": "p.bank_account", "op": "present"}],
            "group": {"by": ["p.bank_account"], "count": "p.id_number", "min": {"param": "min_people"}},
            "params": {"min_people": _p("int", "最少人数", 2)},
            "key": ["p.bank_account"]},
    },
    "shared_phone": {
        "name": gettext_lazy("多人共用一个联系电话"),
        "description": gettext_lazy("不同领取人登记同一个联系电话。"),
        "definition": {
            "sources": [{"alias": "p", "kind": "payments"}],
            "conditions": [{"left": "p.phone", "op": "present"}],
            "group": {"by": ["p.phone"], "count": "p.id_number", "min": {"param": "min_people"}},
            "params": {"min_people": _p("int", "最少人数", 2)},
            "key": ["p.phone"]},
    },
    "official_enterprise": {
        "name": gettext_lazy("干部持股企业承接本单位合同"),
        "description": gettext_lazy("企业股东是公职人员,企业与该公职人员所在单位签订合同。"),
        "definition": {
            "sources": [{"alias": "c", "kind": "contracts"}, {"alias": "e", "kind": "enterprises"},
                        {"alias": "r", "kind": "roster"}],
            "joins": [{"left": "c.credit_code", "right": "e.credit_code"},
                      {"left": "e.shareholder_id", "right": "r.id_number"}],
            "conditions": [{"left": "c.buyer_unit", "op": "eq", "right": {"field": "r.unit"}}],
            "key": ["c.credit_code", "r.id_number"]},
    },
    "relative_enterprise": {
        "name": gettext_lazy("干部亲属持股企业承接本单位合同"),
        "description": gettext_lazy("企业股东是公职人员的亲属,企业与该公职人员所在单位签订合同。"),
        "definition": {
            "sources": [{"alias": "c", "kind": "contracts"}, {"alias": "e", "kind": "enterprises"},
                        {"alias": "k", "kind": "relatives"}, {"alias": "r", "kind": "roster"}],
            "joins": [{"left": "c.credit_code", "right": "e.credit_code"},
                      {"left": "e.shareholder_id", "right": "k.relative_id"},
                      {"left": "k.official_id", "right": "r.id_number"}],
            "conditions": [{"left": "c.buyer_unit", "op": "eq", "right": {"field": "r.unit"}}],
            "key": ["c.credit_code", "r.id_number"]},
    },
}
for _t in TEMPLATES.values():
    validate(_t["definition"])
del _t
