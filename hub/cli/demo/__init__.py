"""``hub demo``: the README's first command, a discharge to a text on the embedded broker."""
