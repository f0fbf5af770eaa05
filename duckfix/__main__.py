"""``python -m duckfix``: the same command as the ``duckfix`` console script."""

from duckfix.service.entry import main

main()
