"""ADT-5 contact restrictions: they never make a discharge ineligible, they limit what the hub may
send by itself. PD1-11 publicity codes map to restrictions per site (``01`` no reminders, ``03``
no calls by default); PD1-12 protection = Y stops automated outreach unless the site allows it,
and the care team reaches the patient by hand."""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.episode.rules import TcmRules

FOLLOW_UP, REMINDER = "follow_up", "reminder"  # what a planned step is for


@dataclass(frozen=True)
class ContactRestrictions:
    no_reminders: bool = False
    no_calls: bool = False
    no_automated: bool = False

    def allows(self, channel: str, purpose: str) -> bool:
        """May the hub send this kind of message by itself?"""
        if self.no_automated:
            return False
        if self.no_calls and channel == "voice":
            return False
        return not (self.no_reminders and purpose == REMINDER)

    @property
    def flags(self) -> tuple[str, ...]:
        named = (("no_automated_outreach", self.no_automated), ("no_calls", self.no_calls),
                 ("no_reminders", self.no_reminders))
        return tuple(f"restricted:{name}" for name, on in named if on)


def restrictions_for(publicity_code: str | None, protection: bool | None,
                     rules: TcmRules) -> ContactRestrictions:
    # senders put the code alone or as a CWE (``01^No reminder/recall^HL70215``)
    code = (publicity_code or "").split("^")[0].strip().upper()
    named = rules.publicity_restrictions.get(code, frozenset())
    return ContactRestrictions(
        no_reminders="no_reminders" in named,
        no_calls="no_calls" in named,
        no_automated="no_automated_outreach" in named or (bool(protection)
                                                          and not rules.protected_outreach))
