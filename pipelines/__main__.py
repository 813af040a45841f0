"""`python -m pipelines`: the main command (see `pipelines.commands.sync`)."""

import sys

from pipelines.commands.sync import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
