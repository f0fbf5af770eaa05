"""Clients of ``duckfix serve``: the ``--server`` side of review, debug, the hook and the mail bot.

``client`` (HTTP: submit, follow the events, errors as one line), ``progress``
(the events shown as a local run shows its steps), ``review`` and ``debug``
(what each command sends, and its answer turned back into the local output).
"""
