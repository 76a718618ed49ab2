"""podman commands in the confined environment: output on success, one line on failure."""

import subprocess
from dataclasses import dataclass, field

from .errors import ImageCheckError, last_line


@dataclass
class Podman:
    env: dict[str, str]
    # What this run created, removed at its end whatever happened.
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def run(self, *args: str, what: str, timeout: float = 600) -> str:
        done = self.call(*args, timeout=timeout, what=what)
        if done.returncode != 0:
            raise ImageCheckError(f"{what} failed (exit {done.returncode}): {last_line(done.stderr)}")
        return done.stdout.strip()

    def call(self, *args: str, what: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """The command's result, whatever its exit code."""
        try:
            return subprocess.run(
                ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise ImageCheckError(f"{what}: no answer within {timeout:.0f} s") from None

    def image_size(self, image: str) -> int:
        return int(self.run("image", "inspect", "--format", "{{.Size}}", image, what=f"inspecting {image}"))

    def remove_all(self) -> tuple[int, int]:
        """Containers then images this run created; how many of each were removed."""
        containers = sum(self.call("rm", "-f", c, what="rm").returncode == 0 for c in self.containers)
        images = sum(self.call("rmi", "-f", i, what="rmi").returncode == 0 for i in reversed(self.images))
        self.containers.clear()
        self.images.clear()
        return containers, images
