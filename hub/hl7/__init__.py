"""HL7 v2: MLLP framing, fast field extraction into ``AdtEvent``, ACKs."""
