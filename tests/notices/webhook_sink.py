"""The local robot the tests and the bench use (duban.bench.notices.Sink)."""

from duban.bench.notices import Sink  # noqa: F401
