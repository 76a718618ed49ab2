"""The job queue and its worker, on the real database, with `worker` in processes of its own."""
