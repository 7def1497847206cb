"""The care-team API's core: worklist rows, open alerts, action checks and refusals.

Plain functions over the ``episodes`` table's records (no Faust, no aiohttp, no clock reads):
``agents/api.py`` puts them behind HTTP and gathers the answers of every worker.
"""
