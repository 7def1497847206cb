"""Records that cross stage boundaries: what episodes asks outreach to do, and what it tells
the care team.

Plain dataclasses with ``to_dict``/``from_dict`` so agents can put them on Kafka as JSON; the JSON
Schemas in ``schemas/`` describe exactly these dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from hub.domain.records import as_dict

ANSWER_PREFIX = "answer:"  # a text answering the patient's own message (HELP, opt-out confirmation)
CARE_TEAM_PREFIX = "alert:"  # a page to a care-team member's phone (hub.domain.alerts)

Channel = Literal["sms", "voice"]


@dataclass(frozen=True)
class OutreachCommand:
    """One planned message to one phone. ``command_id`` is ``"<episode_id>:<step>"``: deterministic,
    so a replayed ADT or tick produces the same id and the send ledger refuses the second send."""

    command_id: str
    episode_id: str
    patient_key: str
    step: str
    channel: Channel
    to: str  # E.164
    template: str
    language: str
    body: str  # rendered text (SMS) or the words a call says (voice); PHI-minimal by MSG-4
    not_before: datetime  # aware; the earliest moment the plan wants it sent
    expires_at: datetime  # aware; after this it is pointless (e.g. window end), never sent
    zone: str  # IANA zone of the patient, for quiet hours (MSG-3)
    facility: str
    action: Literal["send", "cancel"] = "send"
    # the episode's window end: until then a reply on this number may be about this episode
    window_end: datetime | None = None
    control_id: str | None = None  # MSH-10 of the discharge that opened the episode (trace)

    def to_dict(self) -> dict[str, Any]:
        data = dict(as_dict(self))
        data["not_before"] = self.not_before.isoformat()
        data["expires_at"] = self.expires_at.isoformat()
        data["window_end"] = self.window_end.isoformat() if self.window_end else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutreachCommand:
        values = dict(data)
        values["not_before"] = datetime.fromisoformat(values["not_before"])
        values["expires_at"] = datetime.fromisoformat(values["expires_at"])
        window_end = values.get("window_end")
        values["window_end"] = datetime.fromisoformat(window_end) if window_end else None
        return cls(**values)


@dataclass(frozen=True)
class CareAlert:
    """Something the care team must see, or (``event="alert_cleared"``) that it no longer must.
    ``alert_id`` is ``"<episode_id>:<kind>"`` (``:<n>`` from the second time the kind is raised):
    one alert per (episode, kind) until it clears; an update of an open alert (another urgent
    reply) comes under the same id with a higher ``revision`` and is delivered again."""

    alert_id: str
    kind: str  # episode_opened, contact_due_today, contact_missed, urgent_reply, readmission, ...
    episode_id: str
    patient_key: str
    facility: str
    severity: Literal["info", "warning", "urgent"]
    at: datetime  # aware
    # ids and facts; a patient's reply carries its words here, for the care team (never logs)
    detail: dict[str, Any] = field(default_factory=dict)
    revision: int = 1  # 1 when raised; each update of the open alert sends the next one
    program: str = ""  # PV1-10 hospital service of the episode's discharge (routing)
    # the patient's first name: only for channels the hospital approved for names (routing)
    patient_name: str | None = None
    event: Literal["alert", "alert_cleared"] = "alert"
    reason: str | None = None  # why it cleared (contact_recorded, episode_closed, ...)
    control_id: str | None = None  # MSH-10 of the discharge that opened the episode (trace)

    def to_dict(self) -> dict[str, Any]:
        data = dict(as_dict(self))
        data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CareAlert:
        values = dict(data)
        values["at"] = datetime.fromisoformat(values["at"])
        return cls(**values)


@dataclass(frozen=True)
class OutreachEvent:
    """What happened to a message or what a patient said, on ``outreach.events`` (keyed by patient,
    back into episodes). ``kind``: ``send_result`` (sent / deferred / suppressed / failed),
    ``status`` (a provider status callback), ``reply`` (inbound SMS or call keypress)."""

    kind: Literal["send_result", "status", "reply"]
    patient_key: str
    episode_id: str | None
    command_id: str | None
    channel: Channel
    status: str  # sent, deferred, suppressed, failed, delivered, undelivered, received, ...
    at: datetime
    reason: str | None = None  # why deferred / suppressed / failed (never PHI)
    provider_sid: str | None = None
    error_code: int | None = None
    deferred_until: datetime | None = None
    intent: str | None = None  # for replies: urgent, doing_well, opt_out, ...
    reply_text: str | None = None  # for replies: the care team reads it (never logged)

    def to_dict(self) -> dict[str, Any]:
        data = dict(as_dict(self))
        data["at"] = self.at.isoformat()
        data["deferred_until"] = self.deferred_until.isoformat() if self.deferred_until else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutreachEvent:
        values = dict(data)
        values["at"] = datetime.fromisoformat(values["at"])
        if values.get("deferred_until"):
            values["deferred_until"] = datetime.fromisoformat(values["deferred_until"])
        return cls(**values)


def is_care_team(command_id: str) -> bool:
    """A page to a care-team member, not a patient text: no quiet hours, no caps, no episode."""
    return command_id.startswith(CARE_TEAM_PREFIX)


def is_answer(command_id: str) -> bool:
    """A command that answers the patient's own message (HELP, the opt-out confirmation)."""
    return command_id.startswith(ANSWER_PREFIX)
