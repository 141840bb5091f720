"""The engine's one exception type."""


class IntakeError(Exception):
    """A file the engine cannot read; `message` is Chinese and meant for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
