"""Which messages the hub takes (tcm-rules §2, ADT-9).

MSH-9 must be ADT with an ``Ann`` trigger, else ``unsupported_message_type`` (AR: a problem with
MSH-9). An ADT trigger the hub has no use for is ``unsupported_event`` (AE: resending will not
help). Versions are every published v2 release from 2.1 to 2.8.2, which is also exactly the set
hl7apy (the library of record) can check the fast path against; 2.7.1 is included because it is a
published release. 2.1 and 2.2 are read at the same positions with a warning: every field the hub
reads sits where 2.3 put it, and the ones added later (PID-29/30, PV1-45 in some, PD1) are simply
empty. 2.9 and anything else is ``unsupported_version`` (AR): a release nobody here has checked.
"""

from __future__ import annotations

from hub.errors import Hl7Error

SUPPORTED_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A06", "A07", "A08", "A11", "A12",
                              "A13", "A28", "A31", "A34", "A39", "A40", "A47"})
MERGE_EVENTS = frozenset({"A34", "A39", "A40", "A47"})  # MRG-1 carries the prior ids
SUPPORTED_VERSIONS = frozenset({"2.1", "2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7",
                                "2.7.1", "2.8", "2.8.1", "2.8.2"})
OLD_VERSIONS = frozenset({"2.1", "2.2"})
# Structures without a PV1 requirement; every other accepted event requires PV1 by the standard.
_NO_PV1 = frozenset({"A34", "A39", "A40", "A47"})


def check_scope(code: str, trigger: str, version: str) -> list[str]:
    """Raise for a message outside the hub's scope; return warnings for one read with care."""
    if code != "ADT" or len(trigger) != 3 or trigger[0] != "A" or not trigger[1:].isdigit():
        shown = f"{code}^{trigger}" if trigger else code
        raise Hl7Error(f"MSH-9 message type {shown[:20]!r} is not an ADT event this feed takes "
                       "(ADT^Ann)", code="unsupported_message_type", location="MSH-9",
                       ack_code="AR")
    if version not in SUPPORTED_VERSIONS:
        raise Hl7Error(f"MSH-12 version {version[:20]!r} is not supported (2.1 to 2.8.2)",
                       code="unsupported_version", location="MSH-12", ack_code="AR")
    if trigger not in SUPPORTED_EVENTS:
        raise Hl7Error(f"ADT trigger {trigger!r} is not one the hub acts on",
                       code="unsupported_event", location="MSH-9", ack_code="AE")
    if version in OLD_VERSIONS:
        return [f"HL7 {version} predates 2.3: fields were read at their 2.3 positions"]
    return []


def requires_pv1(trigger: str) -> bool:
    return trigger not in _NO_PV1
