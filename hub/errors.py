"""The hub's one error tree.

Every error says whether trying again can help (``retriable``). Vendor errors (aiokafka, twilio,
hl7apy) are translated into these once, at the adapter that calls the vendor, with
``raise ... from``.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    retriable: bool = False
    code: str = "hub_error"

    def __init__(self, message: str, *, code: str | None = None, retriable: bool | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if retriable is not None:
            self.retriable = retriable


class ConfigError(HubError):
    """Configuration is missing or invalid; raised at start-up, never on the first send."""

    code = "config_error"


class Hl7Error(HubError):
    """An HL7 message the hub cannot accept as it is.

    ``location`` is the HL7 position a person can look at (``MSH-9``, ``PID-3``); ``ack_code`` is
    what the MLLP listener answers: ``AE`` for content the sender must fix, ``AR`` for a
    message-type/version problem or a receiver fault (the sender resends).
    """

    code = "hl7_error"

    def __init__(
        self,
        message: str,
        *,
        code: str = "hl7_error",
        location: str | None = None,
        ack_code: str = "AE",
    ):
        super().__init__(message, code=code, retriable=False)
        self.location = location
        self.ack_code = ack_code

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "location": self.location}


class BrokerUnavailable(HubError):
    """Kafka did not acknowledge a write: the sender must resend (HL7 AR), nothing was ACKed AA."""

    code = "broker_unavailable"
    retriable = True


def broker_unreachable(bootstrap: str) -> BrokerUnavailable:
    """The one way a command says the broker is not there: the address and its setting."""
    return BrokerUnavailable(f"cannot reach Kafka at {bootstrap} (KAFKA_BOOTSTRAP_SERVERS)")


class DeliveryError(HubError):
    """A message to a patient or a care team could not be handed to the provider."""

    code = "delivery_error"


class InvalidPhone(HubError):
    """A phone number that cannot be parsed into E.164; reported, never guessed (ADT-4)."""

    code = "invalid_phone"


class InputError(HubError):
    """A command's input cannot be used (an empty file, a line that is not JSON): the command
    says which file or option in one line, and exits non-zero."""

    code = "bad_input"
