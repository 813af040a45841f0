"""`python -m pipelines`: the main command (see `pipelines.commands.sync`)."""

import gc
import sys
from collections.abc import Callable, Sequence


def _load_main() -> Callable[[Sequence[str]], int]:
    """Import the command with the cyclic garbage collector paused, then freeze what it loaded.

    The import brings in Dagster, pandas and SQLAlchemy: some 350,000 objects that live as long
    as the process. Collected while they load, they are scanned over and over for garbage they do
    not hold (about 0.5 s of a 2.7 s start-up); frozen, no later collection scans them, neither
    during the run nor at exit (where that took about 1 s). Objects made from here on are
    collected as usual.
    """
    gc.disable()
    try:
        from pipelines.commands.sync import main
    finally:
        gc.freeze()
        gc.enable()
    return main


if __name__ == "__main__":
    status = _load_main()(sys.argv[1:])
    # The process ends here: the objects the run made need no collecting, and scanning them at
    # interpreter exit took about 0.5 s after the summary was printed.
    gc.freeze()
    sys.exit(status)
