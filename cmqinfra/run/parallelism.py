"""How many changes of one stack run at once by default: named apart from the executor, so that
the command line can show the default without loading what only apply runs."""

DEFAULT_PARALLELISM = 10
