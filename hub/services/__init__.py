"""The use cases over the hub's ports, one per concept: triage and ingest at the door, dedupe,
delivery of an outreach command through the provider. No Kafka, Twilio or clock here: the
stages (``agents``) and the adapters bring them."""
