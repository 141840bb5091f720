"""Settings for the test suite: the ``test`` profile of duban.settings."""

import os

os.environ["DUBAN_ENV"] = "test"

from duban.settings import *  # noqa: E402,F403
