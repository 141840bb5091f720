from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction


def run_demo(*args):
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """Load the demo once per module inside a transaction rolled back at the module's end; each
    test then runs in its own savepoint on top (pytest-django's ``db``). Loading it per test
    would cost seconds each."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield run_demo()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(_demo_loaded, db):
    return _demo_loaded
