"""Dagster's notices that an API it uses is in beta or preview, kept out of the main command's
output unless `--verbose`: they are printed on every run (our definitions pass `owners` to a
sensor, a beta parameter), and they tell a person running a sync nothing they can act on.
Every other warning still prints."""

import warnings

from dagster import BetaWarning, PreviewWarning

MATURITY_WARNINGS = (BetaWarning, PreviewWarning)


def hide_maturity_warnings() -> None:
    for category in MATURITY_WARNINGS:
        warnings.filterwarnings("ignore", category=category)
