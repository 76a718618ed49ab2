"""Jobs: side effects enqueued in the transaction of the change that causes them, run by `worker`.

kinds.py names each kind with its payload model and handler, which live in a module per kind;
webhooks.py posts a job's event to a receiver; enqueue.py (this layer's) writes a job on the
caller's own transaction; worker.py runs them with pgqueuer, at least once.
"""
