"""What each alert kind means to a person: a title for the message that leaves the hub, the
rule it comes from (``tcm-rules.md``) and whether an acknowledgement is what ends it (a fact to
be seen, such as a death) or the condition must end (a contact recorded, a visit recorded)."""

from __future__ import annotations

from dataclasses import dataclass

CARE_TEAM, INTEGRATION = "care_team", "integration"


@dataclass(frozen=True)
class KindInfo:
    title: str
    rule: str
    clears_on_ack: bool = False
    audience: str = CARE_TEAM


KINDS: dict[str, KindInfo] = {
    "contact_due_today": KindInfo("Contact due today, none recorded yet", "TCM-3"),
    "contact_missed": KindInfo("Contact deadline passed", "TCM-3"),
    "urgent_reply": KindInfo("Patient asked for help", "§5"),
    "unclassified_reply": KindInfo("Patient replied: a person must read it", "§5",
                                   clears_on_ack=True),
    "patient_unreachable": KindInfo("Patient unreachable on every channel", "MSG-6"),
    "no_reachable_phone": KindInfo("No usable phone for the patient", "ADT-4"),
    "readmission": KindInfo("Readmitted during the TCM window", "TCM-9"),
    "ed_return": KindInfo("Back in the emergency department", "§4"),
    "patient_deceased": KindInfo("Patient died during the episode", "TCM-10",
                                 clears_on_ack=True),
    "patient_opted_out": KindInfo("Patient opted out of texts", "MSG-2", clears_on_ack=True),
    "visit_not_recorded": KindInfo("Face-to-face visit not recorded yet", "TCM-4"),
    "med_rec_missing": KindInfo("Medication reconciliation missing at the visit", "TCM-5"),
    "restricted_contact": KindInfo("Outreach restricted for this patient", "ADT-6",
                                   clears_on_ack=True),
    "eligibility_changed": KindInfo("Discharge no longer qualifies for TCM", "TCM-7",
                                    clears_on_ack=True),
    "later_discharge_not_eligible": KindInfo("Later discharge does not qualify", "TCM-8",
                                             clears_on_ack=True),
    "discharge_not_eligible": KindInfo("Discharge needs review", "TCM-6", clears_on_ack=True),
    "feed_silence": KindInfo("No ADT received from the facility", "ADT", audience=INTEGRATION),
    "delivery_failed": KindInfo("An alert could not be delivered", "alerts",
                                clears_on_ack=True, audience=INTEGRATION),
}


def info(kind: str) -> KindInfo:
    """Unknown kinds (notices such as episode_opened) are shown by name and end when seen."""
    return KINDS.get(kind) or KindInfo(kind.replace("_", " ").capitalize(), "",
                                       clears_on_ack=True)
