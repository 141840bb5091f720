"""The `duban` command: Django's management commands with duban's settings preselected.

`duban demo`, `duban verify-ledger`, `duban serve`, `duban worker`, `duban import` ... are the
management commands of the duban apps (dashes may be written for underscores).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
