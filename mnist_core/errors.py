"""Exceptions with messages written for people, not for stack traces.

Every error that can reach a user (CLI or app page) derives from
:class:`DigitLabError`, so callers can show ``str(exc)`` as one clear sentence
instead of a traceback.
"""


class DigitLabError(Exception):
    """Base class: its message is shown to the user as-is."""


class DatasetError(DigitLabError):
    """MNIST could not be found, read or trusted."""


class SettingsError(DigitLabError):
    """A training setting is missing, of the wrong type or out of bounds."""


class ImageError(DigitLabError):
    """An uploaded or drawn image could not be used."""


class ModelError(DigitLabError):
    """A model could not be built, saved, loaded or found."""


class TrainingBusyError(DigitLabError):
    """Another training run already holds the server's training slot."""
