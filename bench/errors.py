"""The one exception the harness stops on: its message is the single line the operator sees."""


class BenchError(Exception):
    """Something the run cannot go on without; str() is one line saying what and why."""
