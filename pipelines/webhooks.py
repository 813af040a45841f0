"""`python -m pipelines.webhooks`: the Thinkific webhook receiver (see
`pipelines.commands.webhooks`)."""

import sys

from pipelines.commands.webhooks import main

if __name__ == "__main__":
    sys.exit(main())
