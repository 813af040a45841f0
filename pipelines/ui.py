"""`python -m pipelines.ui`: the Dagster UI on the same setup as `make sync` (see
`pipelines.commands.ui`)."""

import sys

from pipelines.commands.ui import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
