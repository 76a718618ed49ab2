"""pgqueuer's own INSERT of a new job, which each layer runs on the caller's connection, inside the
caller's transaction: the job commits with the change that caused it, or neither does."""

import json
from datetime import timedelta

from pgqueuer.adapters.persistence.qb import QueryQueueBuilder

from .kinds import Envelope

# $1..$6 placeholders, one array each (the statement inserts a batch); each layer's enqueue runs it
# the way its driver takes that style.
ENQUEUE = QueryQueueBuilder().build_enqueue_query("raise")


def arguments(envelope: Envelope) -> tuple[object, ...]:
    """priority, kind, payload, delay, dedupe key, headers: for one job."""
    return ([0], [envelope.kind], [envelope.payload], [timedelta(0)], [None], [json.dumps(envelope.headers)])
