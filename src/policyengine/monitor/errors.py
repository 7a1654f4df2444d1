"""The errors the case monitor raises: each a :class:`PolicyEngineError` with the reason."""

from __future__ import annotations

from ..errors import PolicyEngineError

INSTALL_HINT = "pip install 'housing-policyengine[monitor]'"
POSTGRES_HINT = "pip install 'housing-policyengine[postgres]'"


class MonitorError(PolicyEngineError):
    """Something the case monitor cannot do, with the reason."""


class MonitorUnavailableError(MonitorError):
    """An optional part is missing: durable_rules (``[monitor]``) or psycopg (``[postgres]``)."""


class MonitorClosedError(MonitorError):
    """The monitor was closed; make a new one."""


class StoreError(MonitorError):
    """The event store cannot be opened, read or written (nothing was acknowledged)."""


class EngineError(MonitorError):
    """The matching engine failed inside; the event was not applied."""


class UnknownCaseError(MonitorError):
    """No case with this id has been opened."""

    def __init__(self, message: str, *, case: str) -> None:
        self.case = case
        super().__init__(message)


class EventError(MonitorError):
    """An event that cannot be applied; nothing was changed."""

    def __init__(self, message: str, *, case: str | None = None, event: str | None = None) -> None:
        self.case = case
        self.event = event
        super().__init__(message)


class UnknownCaseTypeError(EventError):
    """The event names a case type no loaded policy declares."""


class UnknownEventTypeError(EventError):
    """The event's type is not one of its case type's events."""


class EventOrderError(EventError):
    """The event is earlier than its case's last event or than the monitor's clock."""


class EventNotAllowedError(EventError):
    """The case's state (or the event's data, or a decision it requires) admits no rule."""


class CaseClosedError(EventNotAllowedError):
    """The case has reached a terminal state and takes no more events."""


class DuplicateEventError(EventError):
    """An event id already acknowledged for a different event (a redelivery must be identical)."""


class ClockError(MonitorError):
    """The logical clock only moves forward."""


class EventsFileError(MonitorError):
    """A line of an events file (JSON lines) that cannot be read or applied."""

    def __init__(self, message: str, *, file: str, line: int) -> None:
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {message}")
