"""Named points where the crash-safety tests kill this process, as a power cut or OOM kill would.

`THINKIFIC_CRASH_AT="<point>:<n>"` makes the n-th arrival at `<point>` send SIGKILL to the
current process; `"<point>@<table>:<n>"` counts only arrivals while loading that table. No
cleanup, no `finally`, no rollback but the database's own. Unset (always, in production) a crash
point is one dictionary lookup. The points sit where a crash is most likely to lose or double
data: after a page is fetched, inside and after the transaction that stages it, between staging
and the merge, and inside the merge transaction.
"""

import os
import signal
from collections import Counter

CRASH_AT_ENV = "THINKIFIC_CRASH_AT"
_arrivals: Counter[str] = Counter()


def crash_point(name: str, table: str) -> None:
    """Kill this process here if `THINKIFIC_CRASH_AT` names this point (and table) and arrival."""
    wanted = os.environ.get(CRASH_AT_ENV)
    if not wanted:
        return
    point, _, arrival = wanted.rpartition(":")
    if point not in (name, f"{name}@{table}"):
        return
    _arrivals[point] += 1
    if _arrivals[point] == int(arrival):
        os.kill(os.getpid(), signal.SIGKILL)
