"""Outbox delivery (filled in below)."""

import threading

WAKE = threading.Event()
