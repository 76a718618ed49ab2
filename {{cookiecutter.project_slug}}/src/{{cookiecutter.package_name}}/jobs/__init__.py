"""Jobs: side effects enqueued in the transaction of the change that causes them, run by `worker`.

kinds.py names each kind with its payload model and handler; enqueue.py (this layer's) writes a job
on the caller's own transaction; worker.py runs them with pgqueuer, at least once.
"""
