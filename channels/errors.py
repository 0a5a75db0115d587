"""Named channel failures; app/errors.py turns them into HTTP answers."""


class ChannelError(Exception):
    """Base class; ``retryable`` tells a job whether trying again can help."""

    retryable = False
    status = 400


class SignatureInvalid(ChannelError):
    """The request is not signed by the provider with our credentials."""

    status = 403


class PayloadInvalid(ChannelError):
    """The request cannot be a provider webhook of this kind; the message says which field."""


class ChannelConfigError(ChannelError):
    """The deployment lacks a credential this channel needs."""

    status = 503


class SendFailed(ChannelError):
    """The provider refused or lost an outbound message."""

    status = 502

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class Unauthorized(ChannelError):
    """A webhook without the deployment's credential (Africa's Talking does not sign requests)."""

    status = 401
