"""`python -m pipelines`: the main command (see `pipelines.sync_command`)."""

import sys

from pipelines.sync_command import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
