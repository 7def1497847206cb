"""tcm-hub: HL7 v2 ADT in, transitional-care episodes, patient outreach and care-team alerts out."""

__version__ = "0.1.0"
