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
