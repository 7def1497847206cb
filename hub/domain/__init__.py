"""The pure core: TCM rules, business-day calendar, outreach plan and policy, reply intents.

Nothing here imports faust, twilio, aiokafka or hl7apy, and nothing reads the clock:
every function that needs the time takes ``now``.
"""
