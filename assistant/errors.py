"""The project's exception tree; messages are shown to users as they are."""


class BriefsError(Exception):
    """Base class: an error whose message is meant for the user."""


class ConfigError(BriefsError):
    """A setting is invalid or a configured resource (model, server) is missing."""


class IngestError(BriefsError):
    """One file could not be ingested; the message names the reason."""


class NotFoundError(BriefsError):
    """A brief id or other named object does not exist."""


class LLMError(BriefsError):
    """The configured LLM failed, timed out or could not be reached."""


class StoreError(BriefsError):
    """The vector store or registry could not be opened or written."""


class UploadRejected(IngestError):
    """An uploaded file failed a check before anything was saved; ``reason`` is a machine-readable code."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class BusyError(StoreError):
    """Another process holds the store's writer lock for longer than we are willing to wait."""


class NoBriefsError(BriefsError):
    """A question was asked of an empty library: there is nothing to answer from yet."""

    reason = "no_briefs"
