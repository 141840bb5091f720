"""The demo's data as Python literals (so it ships inside the package without package-data rules)."""
