from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from duban.inspections import services
from duban.orgs import services as org
from duban.tasks import lights


def pdf_bytes(text: str = "evidence") -> bytes:
    return f"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n".encode()


def pdf(name="整改佐证.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(name), content_type="application/pdf")


def build_world(cast):
    today = lights.today()
    w = cast
    w.term = services.term_create(actor=cast.supervisor, name="第十五届任期", start_date=date(today.year, 1, 1),
                                  conflict_years=5, followup_months=6)
    w.inspectors = [org.person_create(name=n, unit=cast.city, title="巡察干部") for n in ("钱一", "周二", "吴三", "郑四")]
    for p in w.inspectors:
        services.pool_add(actor=cast.supervisor, person=p)
    # 钱一 worked in 芭蕉 until two years ago: must not inspect 芭蕉 (回避 5 years).
    services.history_add(actor=cast.supervisor, person=w.inspectors[0], unit=cast.bajiao,
                         start_year=today.year - 8, end_year=today.year - 2)
    # 周二's wife works in 白果.
    services.relative_add(actor=cast.supervisor, person=w.inspectors[1], name="陈五", relation="配偶",
                          unit=cast.baiguo)
    return w


def stages(start, end):
    return services.default_stages(start, end)


def make_round(w, units=None, *, start=None, name="2026年第一轮巡察"):
    start = start or lights.today()
    end = start + timedelta(days=90)
    return services.round_create(actor=w.supervisor, term=w.term, name=name, start_date=start, end_date=end,
                                 stages=stages(start, end), units=units or [w.bajiao, w.baiguo])


def round_data(units, start=None, **overrides):
    start = start or lights.today()
    end = start + timedelta(days=90)
    data = {"name": "2026年第二轮巡察", "start_date": start.isoformat(), "end_date": end.isoformat(),
            **{k: v.isoformat() for k, v in stages(start, end).items()}, "units": [u.pk for u in units]}
    data.update(overrides)
    return data
