"""Care-team alerts after they are raised: the kinds, routing to a team, and each alert's life
(notified on which channels, acknowledged by whom, escalated to the next on-call contact,
cleared and why). Pure, like the rest of the domain: the alerts stage and ``hub simulate`` run
the same functions with their own clock."""
