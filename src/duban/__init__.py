"""duban (督办): supervision and evaluation platform."""

__version__ = "0.1.0"
