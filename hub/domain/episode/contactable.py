"""What outreach may use to reach a patient, kept current from every ADT message's PID/PD1/NK1
(ADT-4, ADT-5, ADT-6, MSG-5), and what a change means for an open episode."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.domain.episode.eligibility import EXPIRED_DISPOSITIONS, disposition_code
from hub.domain.episode.outcome import Outcome, clear_alerts
from hub.domain.episode.record import Contactable
from hub.domain.episode.release import release_due, stop_steps, target_for, unskip_for_phone
from hub.domain.episode.restrictions import restrictions_for
from hub.domain.episode.rules import TcmRules


def updated_contactable(before: Contactable, event: dict[str, Any],
                        aliases: Mapping[str, str] | None = None) -> Contactable:
    """The newest values, but an empty field is *absence*, not deletion: senders leave PID-13 or
    PD1 out of transfers and updates, and a patient is never made unreachable by omission.
    Death is never undone by a message that simply does not repeat it. ``aliases``: the site's
    local PV1-36 values (a site that sends "expired" means 20, ADT-5)."""
    patient = event["patient"]
    phones = tuple(_phone(p) for p in patient.get("phones") or ())
    caregivers = tuple({"relationship": c.get("relationship"),
                        "phones": [_phone(p) for p in c.get("phones") or ()]}
                       for c in event.get("caregivers") or ())
    expired = disposition_code(event["visit"].get("discharge_disposition"),
                               aliases) in EXPIRED_DISPOSITIONS
    return Contactable(
        given_name=patient.get("given_name") or before.given_name,
        family_name=patient.get("family_name") or before.family_name,
        birth_date=patient.get("birth_date") or before.birth_date,
        phones=phones or before.phones,
        language=patient.get("language") or before.language,
        publicity_code=patient.get("publicity_code") or before.publicity_code,
        protection=before.protection if patient.get("protection") is None
        else bool(patient["protection"]),
        deceased=before.deceased or bool(patient.get("deceased")) or expired,
        caregivers=caregivers or before.caregivers,
        invalid_phones=len(patient.get("invalid_phones") or ()) if phones or not before.phones
        else before.invalid_phones)


def reachability_changed(outcome: Outcome, before: Contactable, rules: TcmRules,
                         now: datetime, cause: str) -> None:
    """A new phone brings back steps skipped for want of one; a new restriction (PD1-11/12)
    stops the steps it forbids, cancelling any still waiting in outreach."""
    after = outcome.record.contactable
    episode = outcome.record.open_episode
    if episode is None or _reach(before) == _reach(after):
        return
    unreachable = target_for("sms", before, rules) is None and \
        target_for("voice", before, rules) is None
    if unreachable and (target_for("sms", after, rules) or target_for("voice", after, rules)):
        episode = clear_alerts(outcome, unskip_for_phone(episode, now), now,
                               "phone_added", "no_reachable_phone")
    restrictions = restrictions_for(after.publicity_code, after.protection, rules)
    episode, cancels = stop_steps(
        episode, before, rules, ",".join(restrictions.flags),
        lambda step: not restrictions.allows(step.channel, step.purpose))
    outcome.commands += cancels
    episode, commands = release_due(episode.noted(now, "contact_details_updated", cause),
                                    after, rules, now)
    outcome.commands += commands
    outcome.save(episode)


def _reach(contactable: Contactable) -> tuple[Any, ...]:
    return (contactable.phones, contactable.caregivers, contactable.publicity_code,
            contactable.protection)


def _phone(phone: dict[str, Any]) -> dict[str, Any]:
    return {"e164": phone["e164"], "use": phone.get("use"), "equipment": phone.get("equipment")}
