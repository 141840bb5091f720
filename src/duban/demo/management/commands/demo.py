"""`duban demo`: load the demonstration directory of 恩施市 and one account per role.

Safe by construction: it refuses production settings, refuses a database that already holds a
directory or accounts (it never merges into real data), and builds everything in one
transaction, so a failure leaves the database as empty as it found it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from duban.accounts.models import User
from duban.core import context
from duban.demo.accounts import ACCOUNTS, DEMO_PASSWORD, build_accounts
from duban.demo.directory import DEFAULT_SEED, build_directory
from duban.demo.evaluation import build_evaluation
from duban.demo.indicators import build_indicators
from duban.demo.inspections import build_inspections
from duban.demo.tasks import build_tasks
from duban.orgs.models import LeadingGroup, Unit


def database_is_empty() -> bool:
    return not (Unit.objects.exists() or User.objects.exists() or LeadingGroup.objects.exists())


class Command(BaseCommand):
    help = ("Load the demo data: the 恩施市 directory (units, people, A/B/C posts, leading groups) and one "
            "account per role with a shared local-only password. Refuses production and non-empty databases.")

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing (successfully) when the database already has units or accounts")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=f"seed for the generated names (default {DEFAULT_SEED})")

    def handle(self, *args, if_empty=False, seed=DEFAULT_SEED, **options):
        if settings.PRODUCTION:
            raise CommandError("duban demo refuses to run under production settings (DUBAN_ENV=production): "
                               "it creates accounts with a published password.")
        with context.bind(request_id=context.new_request_id()), transaction.atomic():
            # Checked inside the transaction so two concurrent runs cannot both see an empty database.
            if not database_is_empty():
                if if_empty:
                    self.stdout.write("duban demo: the database already has data; nothing loaded.")
                    return
                raise CommandError("duban demo only loads into an empty database, and this one already has "
                                   "units or accounts. Use --if-empty to skip quietly in that case.")
            try:
                directory = build_directory(seed=seed)
                accounts = build_accounts(directory)
                made = build_tasks(directory, accounts, DEMO_PASSWORD)
                build_inspections(directory, accounts)
                build_indicators(directory, accounts)  # the speech's figures, marked as demo values
                build_evaluation(directory, accounts)  # a township scheme, its sheet, the 三个交账 timeline
            except ValidationError as exc:
                raise CommandError(f"duban demo: demo data rejected: {'; '.join(exc.messages)}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"duban demo: loaded {len(directory['units'])} units, {len(directory['people'])} people, "
            f"{len(directory['posts'])} posts, {len(directory['groups'])} leading groups, "
            f"{len(accounts)} accounts, {len(made['tasks'])} tasks from the 2017 speech."))
        width = max(len(spec.username) for spec in ACCOUNTS)
        self.stdout.write("Demo accounts (docs/demo.md):")
        for spec in ACCOUNTS:
            self.stdout.write(f"  {spec.username:<{width}}  {spec.role:<10}  {spec.try_this}")
        self.stdout.write(f"Demo password for every account (local use only): {DEMO_PASSWORD}")
