"""Checking the rows of a workbook against the file and the database as they will be after the
import: every bad row is reported, and a clean file becomes plans for the services to apply.
Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from duban.core import pii
from duban.orgs import selectors
from duban.orgs.excel.layout import (
    ALIAS_SEPARATOR,
    DATA_SHEETS,
    HOLDER_UNIT_SEPARATOR,
    NO,
    PERSON_COLUMNS,
    POST_COLUMNS,
    SHEET_PEOPLE,
    SHEET_POSTS,
    SHEET_UNITS,
    UNIT_COLUMNS,
    YES,
    Column,
    _kind_from_text,
)
from duban.orgs.excel.limits import Issue
from duban.orgs.excel.reading import Row
from duban.orgs.models import Person, Post, Unit, UnitAlias, UnitKind


def _split_aliases(text: str) -> list[str]:
    for other in ("，", ",", ";", "；"):
        text = text.replace(other, ALIAS_SEPARATOR)
    seen = []
    for part in text.split(ALIAS_SEPARATOR):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def _parse_flag(text: str) -> bool | None:
    if text in ("", YES, "1", "TRUE", "True", "true"):
        return True
    if text in (NO, "0", "FALSE", "False", "false"):
        return False
    return None


def _parse_int(text: str) -> int | None:
    if text == "":
        return 0
    try:
        return int(text)
    except ValueError:
        return None


def _model_errors(instance, exclude: list[str]) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


@dataclass
class UnitPlan:
    row: Row
    name: str
    parent: str | None  # canonical unit name, None for a root
    kind: str
    short_name: str
    code: str | None
    aliases: list[str]
    sort_order: int
    is_active: bool


@dataclass
class PersonPlan:
    row: Row
    name: str
    unit: str
    title: str
    phone: str
    is_active: bool


@dataclass
class PostPlan:
    row: Row
    unit: str
    title: str
    duties: str
    holders: dict[str, tuple[str, str] | None]  # letter -> (unit name, person name)


class Validator:
    """Checks every row against the file and the database as they will be after the import."""

    def __init__(self, actor, rows: dict[str, list[Row]]):
        self.actor = actor
        self.rows = rows
        self.issues: list[Issue] = []
        # The scope rules are the services' own (duban.orgs.selectors: may_place_at_top,
        # unit_in_scope), applied here to the tree as it will be after the import so that every
        # row is reported at once; the services enforce them again as the rows are applied.
        self.restricted = not selectors.may_place_at_top(actor)
        self.scope_root = getattr(actor, "unit", None) if self.restricted else None
        self.db_units: dict[str, Unit] = {u.name: u for u in Unit.objects.all()}
        self.db_units_by_path = {u.path: u for u in self.db_units.values()}
        self.db_aliases: dict[str, str] = {}
        for alias, unit_name in UnitAlias.objects.values_list("name", "unit__name"):
            self.db_aliases[alias] = unit_name
        self.db_people: set[tuple[str, str]] = set(Person.objects.values_list("unit__name", "name"))
        self._db_phones: dict[tuple[str, str], str] | None = None
        self.db_posts: dict[tuple[str, str], Post] = {
            (p.unit.name, p.title): p
            for p in Post.objects.select_related("unit", "a_holder__unit", "b_holder__unit", "c_holder__unit")
        }
        self.units: list[UnitPlan] = []
        self.people: list[PersonPlan] = []
        self.posts: list[PostPlan] = []

    # helpers
    def error(self, row: Row, message: str, column: str = "") -> None:
        self.issues.append(Issue(row.sheet, row.number, message, column))

    def db_parent_name(self, unit: Unit) -> str | None:
        parent = self.db_units_by_path.get(unit.path[: -Unit.steplen]) if unit.depth > 1 else None
        return parent.name if parent else None

    def in_db_scope(self, unit: Unit) -> bool:
        return selectors.unit_in_scope(self.actor, unit)

    def resolve_unit(self, ref: str) -> str | None:
        """A unit reference (name or alias) to its canonical name, after the import."""
        if ref in self.file_unit_names or ref in self.db_units:
            return ref
        owner = self.final_aliases.get(ref)
        return owner

    def final_parent(self, name: str) -> str | None:
        plan = self.unit_plans.get(name)
        if plan is not None:
            return plan.parent
        unit = self.db_units.get(name)
        return self.db_parent_name(unit) if unit else None

    def chain(self, name: str) -> tuple[list[str], bool]:
        """Ancestors of ``name`` after the import (nearest first) and whether there is a cycle."""
        seen = [name]
        current = self.final_parent(name)
        while current is not None:
            if current in seen:
                return seen, True
            seen.append(current)
            current = self.final_parent(current)
        return seen, False

    def in_final_scope(self, name: str) -> bool:
        if not self.restricted:
            return True
        if self.scope_root is None:
            return False
        ancestors, cycle = self.chain(name)
        return not cycle and self.scope_root.name in ancestors

    # the sheets
    def run(self) -> list[Issue]:
        self.file_unit_names = {r["name"] for r in self.rows[SHEET_UNITS] if r["name"]}
        self.final_aliases = self._final_aliases()
        self.unit_plans: dict[str, UnitPlan] = {}
        self._check_units()
        self._check_people()
        self._check_posts()
        self.issues.sort(key=lambda i: (DATA_SHEETS.index(i.sheet), i.row))
        return self.issues

    def _final_aliases(self) -> dict[str, str]:
        aliases = {a: u for a, u in self.db_aliases.items() if u not in self.file_unit_names}
        for row in self.rows[SHEET_UNITS]:
            if row["name"]:
                for alias in _split_aliases(row["aliases"]):
                    aliases.setdefault(alias, row["name"])
        return aliases

    def _check_units(self) -> None:
        seen: dict[str, int] = {}
        alias_rows: dict[str, tuple[str, int]] = {}
        codes: dict[str, int] = {}
        db_codes = {u.code: u.name for u in self.db_units.values() if u.code}
        for row in self.rows[SHEET_UNITS]:
            name = row["name"]
            if not name:
                self.error(row, _("请填写单位名称。"), "名称")
                continue
            if name in seen:
                self.error(row, _("单位“%(name)s”与第 %(row)s 行重复。") % {"name": name, "row": seen[name]}, "名称")
                continue
            seen[name] = row.number
            existing = self.db_units.get(name)
            if existing is not None and not self.in_db_scope(existing):
                self.error(row, _("单位“%(name)s”不在您的管理范围内。") % {"name": name}, "名称")
                continue
            alias_owner = self.final_aliases.get(name)
            if alias_owner not in (None, name):
                self.error(row, _("名称“%(name)s”已是单位“%(owner)s”的别名。") % {"name": name, "owner": alias_owner},
                           "名称")
            kind = _kind_from_text(row["kind"])
            if kind is None:
                if row["kind"]:
                    self.error(row, _("单位类型“%(kind)s”无效,请从下拉列表中选择。") % {"kind": row["kind"]}, "类型")
                else:
                    self.error(row, _("请选择单位类型。"), "类型")
            parent = None
            if row["parent"]:
                parent = self.resolve_unit(row["parent"])
                if parent is None:
                    self.error(row, _("上级单位“%(name)s”不存在。") % {"name": row["parent"]}, "上级单位")
                elif parent == name:
                    self.error(row, _("单位不能是自己的上级单位。"), "上级单位")
                    parent = None
            sort_order = _parse_int(row["sort_order"])
            if sort_order is None:
                self.error(row, _("排序须为整数。"), "排序")
            is_active = _parse_flag(row["is_active"])
            if is_active is None:
                self.error(row, _("“启用”须填“是”或“否”。"), "启用")
            aliases = [a for a in _split_aliases(row["aliases"]) if a != name]
            for alias in aliases:
                if alias in self.file_unit_names or (alias in self.db_units and alias != name):
                    self.error(row, _("别名“%(alias)s”与单位名称重复。") % {"alias": alias}, "别名")
                elif self.final_aliases.get(alias) not in (None, name):
                    self.error(row, _("别名“%(alias)s”已被单位“%(owner)s”使用。")
                               % {"alias": alias, "owner": self.final_aliases[alias]}, "别名")
                elif alias in alias_rows and alias_rows[alias][0] != name:
                    self.error(row, _("别名“%(alias)s”与第 %(row)s 行重复。") % {"alias": alias, "row": alias_rows[alias][1]},
                               "别名")
                else:
                    alias_rows.setdefault(alias, (name, row.number))
                if len(alias) > UnitAlias._meta.get_field("name").max_length:
                    self.error(row, _("别名“%(alias)s”过长。") % {"alias": alias}, "别名")
            code = row["code"] or None
            if code:
                if code in codes:
                    self.error(row, _("编码“%(code)s”与第 %(row)s 行重复。") % {"code": code, "row": codes[code]}, "编码")
                elif db_codes.get(code) not in (None, name) and db_codes[code] not in self.file_unit_names:
                    self.error(row, _("编码“%(code)s”已被单位“%(owner)s”使用。") % {"code": code, "owner": db_codes[code]},
                               "编码")
                codes.setdefault(code, row.number)
            probe = Unit(name=name, short_name=row["short_name"], kind=kind or UnitKind.OTHER, code=code,
                         sort_order=sort_order or 0, path="x", depth=1)
            for field_name, messages in _model_errors(probe, ["path", "depth", "numchild"]).items():
                header = _header_for(UNIT_COLUMNS, field_name)
                for message in messages:
                    self.error(row, f"{header}:{message}" if header else message, header)
            # Invalid rows keep their place in the tree too, so that their children are checked
            # against the parent the user meant; nothing is applied while any issue stands.
            self.unit_plans[name] = UnitPlan(row, name, parent, kind or UnitKind.OTHER, row["short_name"], code,
                                              aliases, sort_order or 0, bool(is_active))
        self._check_tree()

    def _check_tree(self) -> None:
        for name, plan in self.unit_plans.items():
            row = plan.row
            existing = self.db_units.get(name)
            ancestors, cycle = self.chain(name)
            if cycle:
                self.error(row, _("上级单位关系构成循环:%(chain)s。") % {"chain": "→".join(ancestors)}, "上级单位")
                continue
            if not self.restricted:
                continue
            if existing is not None and self.scope_root is not None and existing.pk == self.scope_root.pk:
                if plan.parent != self.db_parent_name(existing):
                    self.error(row, _("不能调整本单位的上级单位。"), "上级单位")
                continue
            if plan.parent is None:
                self.error(row, _("请填写上级单位:只能在本单位及下级单位范围内导入。"), "上级单位")
            elif not self.in_final_scope(name):
                self.error(row, _("上级单位“%(name)s”不在您的管理范围内。") % {"name": plan.parent}, "上级单位")

    def _unit_ref(self, row: Row, column: Column) -> str | None:
        ref = row[column.key]
        if not ref:
            self.error(row, _("请填写%(column)s。") % {"column": column.header}, column.header)
            return None
        name = self.resolve_unit(ref)
        if name is None:
            self.error(row, _("单位“%(name)s”不存在。") % {"name": ref}, column.header)
            return None
        existing = self.db_units.get(name)
        if (existing is not None and not self.in_db_scope(existing)) or not self.in_final_scope(name):
            self.error(row, _("单位“%(name)s”不在您的管理范围内。") % {"name": ref}, column.header)
            return None
        return name

    def _check_people(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        unit_column = PERSON_COLUMNS[1]
        for row in self.rows[SHEET_PEOPLE]:
            before = len(self.issues)
            name = row["name"]
            if not name:
                self.error(row, _("请填写姓名。"), "姓名")
            unit = self._unit_ref(row, unit_column)
            is_active = _parse_flag(row["is_active"])
            if is_active is None:
                self.error(row, _("“在职”须填“是”或“否”。"), "在职")
            if pii.looks_masked(row["phone"]) and row["phone"] != self._masked_phone(unit, name):
                # The workbook carries masked phones (DP-05): a masked value stands for "unchanged"
                # and is refused anywhere else, so that no 138****1234 is ever stored.
                self.error(row, _("手机号是脱敏值(含 *),只能原样保留已登记人员的号码;请填写完整号码或留空。"), "手机")
            probe = Person(name=name or "x", title=row["title"], phone=row["phone"])
            for field_name, messages in _model_errors(probe, ["unit"]).items():
                header = _header_for(PERSON_COLUMNS, field_name)
                for message in messages:
                    self.error(row, f"{header}:{message}" if header else message, header)
            if name and unit:
                key = (unit, name)
                if key in seen:
                    self.error(row, _("%(unit)s的人员“%(name)s”与第 %(row)s 行重复。")
                               % {"unit": unit, "name": name, "row": seen[key]}, "姓名")
                seen.setdefault(key, row.number)
            if len(self.issues) == before:
                self.people.append(PersonPlan(row, name, unit, row["title"], row["phone"], is_active))
        self.final_people = self.db_people | set(seen)

    def _masked_phone(self, unit: str | None, name: str) -> str | None:
        if not unit or not name:
            return None
        if self._db_phones is None:
            self._db_phones = {(u, n): p for u, n, p in Person.objects.values_list("unit__name", "name", "phone")}
        phone = self._db_phones.get((unit, name))
        return pii.mask(phone, pii.PHONE) if phone else None

    def _holder(self, row: Row, column: Column, post_unit: str, text: str, current: Person | None):
        """Resolve "姓名" (a person of the post's unit) or "姓名@单位" to (unit, name)."""
        if HOLDER_UNIT_SEPARATOR in text:
            name, _sep, unit_ref = text.rpartition(HOLDER_UNIT_SEPARATOR)
            name, unit_ref = name.strip(), unit_ref.strip()
            unit = self.resolve_unit(unit_ref) if unit_ref else None
            if not name or unit is None:
                self.error(row, _("%(letter)s“%(text)s”中的单位不存在。") % {"letter": column.header, "text": text},
                           column.header)
                return None
        else:
            name, unit = text, post_unit
        key = (unit, name)
        if key not in self.final_people:
            self.error(row, _("%(letter)s“%(name)s”不是%(unit)s的人员。") % {"letter": column.header, "name": name,
                                                                             "unit": unit}, column.header)
            return None
        unchanged = current is not None and (current.unit.name, current.name) == key
        existing = self.db_units.get(unit)
        if not unchanged and ((existing is not None and not self.in_db_scope(existing)) or not self.in_final_scope(unit)):
            self.error(row, _("%(letter)s“%(name)s”不在您的管理范围内。") % {"letter": column.header, "name": text},
                       column.header)
            return None
        return key

    def _check_posts(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        unit_column, a_column, b_column, c_column = POST_COLUMNS[0], POST_COLUMNS[3], POST_COLUMNS[4], POST_COLUMNS[5]
        for row in self.rows[SHEET_POSTS]:
            before = len(self.issues)
            title = row["title"]
            if not title:
                self.error(row, _("请填写岗位名称。"), "岗位名称")
            unit = self._unit_ref(row, unit_column)
            if unit and title:
                key = (unit, title)
                if key in seen:
                    self.error(row, _("%(unit)s的岗位“%(title)s”与第 %(row)s 行重复。")
                               % {"unit": unit, "title": title, "row": seen[key]}, "岗位名称")
                seen.setdefault(key, row.number)
            probe = Post(title=title or "x", duties=row["duties"])
            for field_name, messages in _model_errors(probe, ["unit", "a_holder", "b_holder", "c_holder"]).items():
                header = _header_for(POST_COLUMNS, field_name)
                for message in messages:
                    self.error(row, f"{header}:{message}" if header else message, header)
            holders: dict[str, tuple[str, str] | None] = {"a": None, "b": None, "c": None}
            current = self.db_posts.get((unit, title)) if unit and title else None
            if not row["a"]:
                self.error(row, _("请填写A角。"), "A角")
            if row["c"] and not row["b"]:
                self.error(row, _("请先设置B角,再设置C角。"), "C角")
            if unit:
                for column in (a_column, b_column, c_column):
                    if row[column.key]:
                        now = getattr(current, f"{column.key}_holder") if current else None
                        holders[column.key] = self._holder(row, column, unit, row[column.key], now)
            if holders["a"] and holders["a"] == holders["b"]:
                self.error(row, _("B角不能与A角是同一人。"), "B角")
            if holders["c"] and holders["c"] in (holders["a"], holders["b"]):
                self.error(row, _("C角不能与A角或B角是同一人。"), "C角")
            if len(self.issues) == before:
                self.posts.append(PostPlan(row, unit, title, row["duties"], holders))


def _header_for(columns, field_name: str) -> str:
    for column in columns:
        if column.key == field_name:
            return column.header
    return ""

