"""The command that applies every migration with this driver's tool: run by `migrate` and `dev`."""

MIGRATE_COMMAND = ("tortoise", "migrate")
