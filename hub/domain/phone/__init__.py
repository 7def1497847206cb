"""The phone's conversation: one aggregate per E.164 number (``PhoneState``): the send
decision, the ledger around each provider call, opt-out, quiet hours and caps, and what a
patient's reply means. Pure, like the rest of the domain; it shares only the kernel in
``hub.domain`` (messages, templates, calendar, provider failures) with the episode."""
