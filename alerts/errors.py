"""Named failures of the alerts core; app/errors.py maps them to HTTP statuses."""


class AlertsError(Exception):
    """Base class of every alerts failure."""


class UnknownInboundMessage(AlertsError):
    """No stored inbound message has that id."""


class NotPermitted(AlertsError):
    """The user's role does not allow this."""


class UnknownUser(AlertsError):
    """No active user has that email address."""


class InvalidCredentials(AlertsError):
    """The bearer token or password does not match an active user."""


class InvalidValue(AlertsError):
    """A value is outside its closed set."""


class UnknownIncident(AlertsError):
    """No incident has that id."""
