"""The one exception the image check stops on: its message is the single line the user reads."""


class ImageCheckError(Exception):
    """A step that failed; str() is one line saying which and why."""


def last_line(output: str) -> str:
    """The line of a tool's output that says why it failed: its last non-empty one."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"
