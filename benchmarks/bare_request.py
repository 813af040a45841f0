"""The start-up benchmark's baseline: a Python process that imports requests and sends one GET.

python -m benchmarks.bare_request URL
"""

import sys

import requests

if __name__ == "__main__":
    requests.get(sys.argv[1], timeout=30).raise_for_status()
