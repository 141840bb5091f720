"""Reads for account administration. Accounts are not unit-scoped data: only the system and
security administrators (both organisation-wide) reach these, through require_perm."""

import threading

from django.db import connections
from django.db.models.query import get_related_populators
from django.utils import timezone

from duban.accounts.models import User


def users_for_admin(filter_form=None):
    qs = User.objects.select_related("unit", "person").order_by("username")
    if filter_form is not None:
        qs = filter_form.filter(qs, now=timezone.now())
    return qs


def user_for_admin(pk) -> User:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(User.objects.select_related("unit", "person"), pk=pk)


# --- who is asking: read on every request ---------------------------------------------------------
class _Prepared:
    """A one-row ORM queryset compiled once per thread and run again with new values (issue 10).

    Every request reads its user (the session's, or the bearer token's) with the unit and person
    joined, and Django compiled that four-table SELECT again each time: ~1.4 ms of CPU, a third of
    a cheap API request. The SQL and the row-to-object mapping are Django's own (the compiler's
    select list, converters and select_related populators, as ``ModelIterable`` uses them), only
    kept: ``build(marker)`` returns the queryset with ``marker`` where the looked-up value goes.
    Per thread, because a compiler holds its thread's database connection."""

    def __init__(self, build, marker):
        self.build = build
        self.marker = marker
        self.local = threading.local()

    def _compiled(self):
        state = getattr(self.local, "state", None)
        if state is None:
            qs = self.build(self.marker)
            compiler = qs.query.get_compiler(using=qs.db)
            sql, params = compiler.as_sql()  # fills compiler.select and klass_info
            slot = [i for i, p in enumerate(params) if p == self.marker]
            if len(slot) != 1:  # pragma: no cover - build() must use the marker exactly once
                raise ValueError("the prepared query must carry its marker once")
            klass_info, select = compiler.klass_info, compiler.select
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            state = self.local.state = {
                "db": qs.db, "sql": sql, "params": list(params), "slot": slot[0], "compiler": compiler,
                "model": klass_info["model"], "start": start, "end": end,
                "init": [f[0].target.attname for f in select[start:end]],
                "related": get_related_populators(klass_info, select, qs.db),
            }
        return state

    def get(self, value):
        """The one object whose looked-up field equals ``value``, or None."""
        state = self._compiled()
        params = list(state["params"])
        params[state["slot"]] = value
        with connections[state["db"]].cursor() as cursor:
            cursor.execute(state["sql"], params)
            rows = cursor.fetchmany(2)
        if len(rows) != 1:
            return None
        row = next(state["compiler"].results_iter([rows]))
        obj = state["model"].from_db(state["db"], state["init"], row[state["start"]:state["end"]])
        for populator in state["related"]:
            populator.populate(row, obj)
        return obj


_USER_BY_PK = _Prepared(lambda pk: User.objects.select_related("unit", "person").filter(pk=pk), -(2**62) + 7)


def _token_by_hash(marker):
    from duban.accounts.models import ApiToken

    return ApiToken.objects.select_related("user", "user__unit", "user__person").filter(key_hash=marker)


_TOKEN_BY_HASH = _Prepared(_token_by_hash, "\x00duban-token-hash-marker")


def user_with_unit_and_person(pk) -> User | None:
    """``User.objects.select_related("unit", "person").filter(pk=pk).first()``, prepared."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return _USER_BY_PK.get(pk)


def api_token_with_user(key_hash: str):
    """The ApiToken with this hash, its user, unit and person joined (the same query as
    ``ApiToken.objects.select_related(...).filter(key_hash=…)``), prepared; or None."""
    return _TOKEN_BY_HASH.get(key_hash)
