"""The project's commands (`serve`, `uv run dev`, `migrate`...) and the local database they share."""
