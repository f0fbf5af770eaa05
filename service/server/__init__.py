"""``duckfix serve``: the HTTP API, its job queue in the store, and the workers that run jobs.

``app`` (the factory), ``routes_*`` (one module per resource), ``auth`` and
``tokens`` (who calls), ``limits`` (body size, rate), ``queue`` (jobs in the
store: claim, lease, fence, events), ``workers`` (threads that run jobs),
``kinds`` (what each kind of job runs: the CLI's own functions).
"""
