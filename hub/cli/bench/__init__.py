"""``hub bench``: figures against a baseline measured in the same run, with a verdict."""
