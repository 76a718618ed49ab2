"""Whether a run left its app stuck: idle, yet not answering. plain-sync is the known case: past ~40
requests at once every worker thread waits for a connection that only a worker thread could give
back, and from ~14 transfers at once each holds its connection while its audit task waits for
another (see reference/plain_sync.py). Neither wrk nor the app's CPU time shows it: a 1 s run at c=64
ends with no answer and no timeout (wrk counts one only when it sees the 2 s pass inside the run),
the app sits idle until the pool's 30 s timeout, and the requests it still holds would spoil its
next runs."""

from . import load, server, wrk

# Longer than wrk's own timeout: an idle app that answers one read more slowly is not serving.
PROBE_S = 1.5 * wrk.TIMEOUT_S
IDLE_SHARE = 0.05  # of one core, as load.wait_idle: below it the app is waiting, not working
TRIES = 10  # busy and silent through this many probes (30 s): stuck as well


def stuck(pid: int, url: str) -> bool:
    """True if `url` gets no answer within PROBE_S while the app spends (almost) no CPU. A busy app
    is working through what the run left it, and is asked again."""
    for _ in range(TRIES):
        before = load.process_cpu_seconds(pid)
        if server.responds(url, PROBE_S):
            return False
        if load.process_cpu_seconds(pid) - before < IDLE_SHARE * PROBE_S:
            return True
    return True
