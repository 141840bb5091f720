"""`duban createadmin`: the only way to create the first 三员 administrators (AC-01).

Nothing in a fresh installation can sign in: there is no default account and no default
password. Whoever holds the server creates the system, security and audit administrators here;
the password is read from the terminal (twice) or from stdin, never from the command line
where it would land in shell history and the process list, and it must pass the password
policy (IA-02). Each creation is one ledger entry."""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from duban.accounts import services
from duban.core import context
from duban.core.roles import Role


class Command(BaseCommand):
    help = "Create a system, security or audit administrator (三员) with a password that passes the policy."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=[Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR])
        parser.add_argument("--unit", metavar="CODE", help="code of the unit the administrator belongs to")
        parser.add_argument("--full-name", default="", help="the administrator's name")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of standard input (for automation)")

    def _read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            line = sys.stdin.readline()
            password = line[:-1] if line.endswith("\n") else line
            if password.endswith("\r"):
                password = password[:-1]
            return password
        if not sys.stdin.isatty():
            raise CommandError("no terminal to read the password from; use --password-stdin")
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("the two passwords differ")
        return first

    def handle(self, *args, username, role, unit=None, full_name="", password_stdin=False, **options):
        from duban.orgs.models import Unit

        unit_obj = None
        if unit:
            unit_obj = Unit.objects.filter(code=unit).first()
            if unit_obj is None:
                raise CommandError(f"no unit with code {unit!r}")
        username = username.strip()
        if username.lower() in services.RESERVED_USERNAMES:
            raise CommandError(f"{username!r} is a default or reserved account name; choose a personal one")
        password = self._read_password(password_stdin)
        if not password:
            raise CommandError("the password is empty")
        with context.bind(request_id=context.new_request_id()):
            try:
                user = services.admin_bootstrap(username=username, password=password, role=role, unit=unit_obj,
                                                full_name=full_name)
            except ValidationError as exc:
                raise CommandError("refused: " + " ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"created {user.get_role_display()} account {user.username!r}"))
