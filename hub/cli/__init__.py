"""The entrypoints: the ``hub`` command (``main``), one module per command; the demo and the
benchmarks are sub-packages. Only this ring imports ``agents`` (the stages)."""
