"""The UI is Chinese first with a complete English translation."""

from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "duban"
CATALOGS = sorted(SRC.rglob("locale/en/LC_MESSAGES/django.po"))


def test_there_are_english_catalogs():
    assert CATALOGS, "no English catalogs found"


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(SRC)))
def test_every_message_has_an_english_translation(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert untranslated == []


@pytest.mark.django_db
def test_the_login_page_switches_to_english(client):
    assert "登录" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in" in page or "Log in" in page
