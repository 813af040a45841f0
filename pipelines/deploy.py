"""`python -m pipelines.deploy`: the code location as production runs it (see
`pipelines.commands.deploy`)."""

import gc
import sys

from pipelines.commands.deploy import main

if __name__ == "__main__":
    status = main()
    # Python collects its whole heap on the way out: with Dagster imported that takes seconds
    # of the 10 s a stop may take, only to free memory the system reclaims anyway.
    gc.freeze()
    sys.exit(status)
