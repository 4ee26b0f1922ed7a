"""The few exception types the CLI and UI turn into messages for the user."""


class QAError(Exception):
    """An error whose message is meant for the user: it says what was wrong and how to fix it.
    `zh`: the same in Chinese, for the chat UI (the English message when not given)."""

    def __init__(self, message: str = "", zh: str = "") -> None:
        super().__init__(message)
        self.zh = zh or message

    def message(self, english: bool) -> str:
        """The message in the asker's language."""
        return str(self) if english else self.zh


class ParseError(QAError):
    """A gazette file could not be read or is not a gazette issue."""


class IndexMissingError(QAError):
    """No index has been built yet."""


class IndexMismatchError(QAError):
    """The index on disk was built with other settings than the current ones."""


class ModelUnavailableError(QAError):
    """A configured model is not available offline."""


class InputError(QAError):
    """A bad question, filter or option."""


class BusyError(QAError):
    """Too many answers waiting for the LLM: try again after `retry_after` seconds (or extractive now)."""

    def __init__(self, message: str = "", zh: str = "", retry_after: int = 30) -> None:
        super().__init__(message, zh)
        self.retry_after = retry_after
