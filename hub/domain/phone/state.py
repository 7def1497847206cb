"""Everything known about one phone number (E.164), kept in one place by the outreach stage:
opt-out (MSG-2, MSG-6), the send ledger (command id -> what became of it), the send history the
caps count (MSG-1), and the patient and episode the number belongs to (to route replies).

It lives as JSON in a Kafka-backed table, so ``to_dict``/``from_dict`` round-trip exactly.
Datetimes are stored in UTC: the JSON is canonical and no comparison trips over a DST fold.
Nothing here is ever mutated; every change is a copy (``hub.domain.phone.ledger`` makes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from hub.domain.messages import is_answer
from hub.domain.phone.policy import ContactPolicy, as_utc

LedgerStatus = Literal["planned", "deferred", "sending", "sent", "delivered", "undelivered",
                       "failed", "suppressed", "cancelled", "in_doubt"]
OptOutVia = Literal["keyword", "opt_out_type", "provider_21610", "voice_key", "api"]

EPISODES_KEPT = timedelta(days=90)  # an episode's routing outlives its window by this much
WAITING = frozenset({"planned", "deferred"})  # decided but not yet handed to the provider
IN_FLIGHT = frozenset({"sending", "in_doubt"})  # the provider may have it: never resend blindly

# Twilio message and call statuses in the order they can happen (MSG-6). Callbacks arrive out of
# order, so an entry only moves to a higher rank: whatever the order, the highest one wins.
# Finals are ranked too (a delivery receipt beats an earlier "undelivered") so the end is unique.
PROVIDER_RANK: dict[str, int] = {
    "scheduled": 10, "accepted": 20, "queued": 30, "initiated": 35, "sending": 40,
    "ringing": 45, "sent": 50, "in-progress": 55, "canceled": 60, "failed": 70, "busy": 72,
    "no-answer": 74, "undelivered": 80, "completed": 85, "delivered": 90, "read": 100,
}
# Provider vocabulary -> ledger vocabulary. A completed call reached a person or a voicemail.
PROVIDER_TO_LEDGER: dict[str, LedgerStatus] = {
    "scheduled": "sent", "accepted": "sent", "queued": "sent", "initiated": "sent",
    "sending": "sent", "ringing": "sent", "sent": "sent", "in-progress": "sent",
    "canceled": "cancelled", "failed": "failed", "busy": "undelivered",
    "no-answer": "undelivered", "undelivered": "undelivered", "completed": "delivered",
    "delivered": "delivered", "read": "delivered",
}


@dataclass(frozen=True)
class LedgerEntry:
    status: LedgerStatus
    channel: str
    updated_at: datetime
    provider_sid: str | None = None
    provider_status: str | None = None  # Twilio's own word, the highest seen so far
    attempts: int = 0  # provider calls made for this command
    last_error_code: int | None = None
    deferred_until: datetime | None = None
    reason: str | None = None  # why deferred / suppressed / failed (never PHI)
    # The command as ``OutreachCommand.to_dict()``, kept while it may still go out (deferred, or
    # in flight and possibly to be re-sent after reconciliation); dropped once settled.
    command: dict[str, Any] | None = None
    # A cancel that came while the send was in doubt: if the provider never got it, it never goes
    cancel_requested: bool = False
    # when it was handed to the provider, as counted in ``PhoneState.sent_at`` for the caps
    handed_off_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "channel": self.channel,
                "updated_at": self.updated_at.isoformat(), "provider_sid": self.provider_sid,
                "provider_status": self.provider_status, "attempts": self.attempts,
                "last_error_code": self.last_error_code,
                "deferred_until": _iso(self.deferred_until), "reason": self.reason,
                "command": self.command, "cancel_requested": self.cancel_requested,
                "handed_off_at": _iso(self.handed_off_at)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerEntry:
        return cls(status=data["status"], channel=data["channel"],
                   updated_at=datetime.fromisoformat(data["updated_at"]),
                   provider_sid=data.get("provider_sid"),
                   provider_status=data.get("provider_status"),
                   attempts=data.get("attempts", 0),
                   last_error_code=data.get("last_error_code"),
                   deferred_until=_parse(data.get("deferred_until")),
                   reason=data.get("reason"), command=data.get("command"),
                   cancel_requested=data.get("cancel_requested", False),
                   handed_off_at=_parse(data.get("handed_off_at")))


@dataclass(frozen=True)
class Reaching:
    """An episode that sends to a number: whose it is, and until when it may still send."""

    patient_key: str
    until: datetime

    def to_dict(self) -> dict[str, str]:
        return {"patient_key": self.patient_key, "until": self.until.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Reaching:
        return cls(data["patient_key"], datetime.fromisoformat(data["until"]))


@dataclass(frozen=True)
class PhoneState:
    phone: str  # E.164, the table key
    opted_out: bool = False
    opted_out_at: datetime | None = None
    opted_out_via: OptOutVia | None = None
    opt_out_confirmed: bool = False  # MSG-2: one confirmation text per revocation
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    sent_at: tuple[datetime, ...] = ()  # messages handed to the provider, for the caps
    patient_key: str | None = None  # of the last message sent: a reply after every window
    episode_id: str | None = None  # has closed still reaches that patient's care team
    language: str | None = None  # of the last command: replies to the patient use it (MSG-5)
    zone: str | None = None
    # Every episode that sent to this number, with its patient and the end of its last planned
    # step: a number shared by a household routes a reply to each episode open on it.
    episodes: dict[str, Reaching] = field(default_factory=dict)

    def entry(self, command_id: str) -> LedgerEntry | None:
        return self.ledger.get(command_id)

    def with_entry(self, command_id: str, entry: LedgerEntry) -> PhoneState:
        return replace(self, ledger={**self.ledger, command_id: entry})

    def command_for_sid(self, provider_sid: str) -> str | None:
        return next((cid for cid, e in self.ledger.items() if e.provider_sid == provider_sid),
                    None)

    def cap_history(self) -> list[datetime]:
        """What the caps count: every hand-off, plus sends in flight (they may have gone out).
        Answers to the patient's own messages are not outreach and count for nothing."""
        return [*self.sent_at, *(e.updated_at for cid, e in self.ledger.items()
                                 if e.status in IN_FLIGHT and not is_answer(cid))]

    def with_episode(self, episode_id: str, patient_key: str, until: datetime) -> PhoneState:
        """The episode sends to this number until ``until`` (the latest expiry seen)."""
        known = self.episodes.get(episode_id)
        if known is not None and known.until >= until:
            return self
        kept = {eid: e for eid, e in self.episodes.items()  # long over: forgotten
                if until - e.until < EPISODES_KEPT}
        return replace(self, episodes={**kept, episode_id: Reaching(patient_key, until)})

    def owner_of(self, command_id: str | None) -> tuple[str, str] | None:
        """(episode id, patient key) of the episode that sent ``command_id`` (ids start with
        their episode's), else of the last message sent."""
        for episode_id, known in self.episodes.items():
            if command_id and command_id.startswith(f"{episode_id}:"):
                return episode_id, known.patient_key
        if self.patient_key and self.episode_id:
            return self.episode_id, self.patient_key
        return None

    def open_episodes(self, now: datetime) -> dict[str, str]:
        """Episode id -> patient key of the episodes still reaching out on this number."""
        return {eid: e.patient_key for eid, e in self.episodes.items() if e.until >= now}

    def to_dict(self) -> dict[str, Any]:
        return {"phone": self.phone, "opted_out": self.opted_out,
                "opted_out_at": _iso(self.opted_out_at), "opted_out_via": self.opted_out_via,
                "opt_out_confirmed": self.opt_out_confirmed,
                "ledger": {cid: e.to_dict() for cid, e in self.ledger.items()},
                "sent_at": [s.isoformat() for s in self.sent_at],
                "patient_key": self.patient_key, "episode_id": self.episode_id,
                "language": self.language, "zone": self.zone,
                "episodes": {eid: e.to_dict() for eid, e in self.episodes.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhoneState:
        # .get() with defaults: states written by an older hub still load
        return cls(phone=data["phone"], opted_out=data.get("opted_out", False),
                   opted_out_at=_parse(data.get("opted_out_at")),
                   opted_out_via=data.get("opted_out_via"),
                   opt_out_confirmed=data.get("opt_out_confirmed", False),
                   ledger={cid: LedgerEntry.from_dict(e)
                           for cid, e in data.get("ledger", {}).items()},
                   sent_at=tuple(datetime.fromisoformat(s) for s in data.get("sent_at", ())),
                   patient_key=data.get("patient_key"), episode_id=data.get("episode_id"),
                   language=data.get("language"), zone=data.get("zone"),
                   episodes={eid: Reaching.from_dict(e)
                             for eid, e in data.get("episodes", {}).items()})


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def awaiting_reconcile(entry: LedgerEntry) -> bool:
    """In flight without a SID: the provider may have it, and nobody knows yet."""
    return entry.status in IN_FLIGHT and entry.provider_sid is None


def reconcile_at(entry: LedgerEntry, policy: ContactPolicy) -> datetime:
    return as_utc(entry.updated_at) + timedelta(seconds=policy.in_doubt_seconds)


def look_again_at(data: dict[str, Any], policy: ContactPolicy) -> datetime | None:
    """When a stored ledger entry needs its stage again: a deferred send at its time, a send
    left in flight without an answer (a crash mid-call) when it is to be reconciled with the
    provider; None when nothing is owed. A ``KeyError``, ``TypeError`` or ``ValueError`` says
    the entry cannot be read."""
    if data["status"] == "deferred" and data.get("deferred_until"):
        return datetime.fromisoformat(data["deferred_until"])
    if data["status"] in IN_FLIGHT:
        entry = LedgerEntry.from_dict(data)
        if awaiting_reconcile(entry):
            return reconcile_at(entry, policy)
    return None
