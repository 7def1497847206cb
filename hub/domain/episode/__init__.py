"""The patient's episode: one aggregate per patient key (``PatientRecord``): the TCM state
machine over ADT events, outreach results, ticks and care-team actions, its deadlines, plan,
alerts and billing readiness. Pure; it shares only the kernel in ``hub.domain`` with the
phone's conversation."""
