"""`python -m pipelines`: the main command (see `pipelines.commands.sync`)."""

import gc
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType


def _load_main() -> Callable[[Sequence[str]], int]:
    """Import the command with the cyclic garbage collector paused, then freeze what it loaded.

    The import brings in Dagster, pandas and SQLAlchemy: some 350,000 objects that live as long
    as the process. Collected while they load, they are scanned over and over for garbage they do
    not hold, a sizeable share of start-up; frozen, no later collection scans them, neither
    during the run nor at exit. Objects made from here on are
    collected as usual.
    """
    gc.disable()
    try:
        from pipelines.commands.sync import main
    finally:
        gc.freeze()
        gc.enable()
    return main


def _stop(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # From the first instant a SIGTERM stops the command as Ctrl-C does (exit 130, a line
    # saying so), not by the signal's default death (143, no word) while Dagster loads.
    signal.signal(signal.SIGTERM, _stop)
    try:
        main = _load_main()
    except KeyboardInterrupt:
        print("Interrupted before the sync started; nothing was changed.", file=sys.stderr)
        sys.exit(130)
    status = main(sys.argv[1:])
    # The process ends here: the objects the run made need no collecting, and scanning them at
    # interpreter exit would hold the process up after the summary is printed.
    gc.freeze()
    sys.exit(status)
