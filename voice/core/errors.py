"""Errors that end one voicemail with a reason a person can read."""


class VoicemailError(Exception):
    """Processing of one voicemail failed; ``str(exc)`` is shown to people as the reason."""

    retryable = False


class BadAudio(VoicemailError):
    """The audio is not usable: not audio, empty, truncated, too long."""


class FetchError(VoicemailError):
    """The audio could not be fetched."""


class TransientFetchError(FetchError):
    """A network failure or server error that may go away if we try again."""

    retryable = True
