"""Which teams' rows of the Teams tab a recalculation changed: its figures, not its timestamp."""

import pandas as pd

RECALCULATED_AT = "calculated_at"


def _rows(overview: pd.DataFrame) -> dict[str, tuple]:
    """Each team's row without its timestamp, missing values as None (NaN is unequal to
    itself), keyed by team."""
    figures = overview.drop(columns=[RECALCULATED_AT]).astype(object)
    figures = figures.where(figures.notna(), None)
    return {row[0]: tuple(row) for row in figures.itertuples(index=False)}


def teams_changed(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """The names of the teams whose row appeared, disappeared or changed, sorted."""
    old, new = _rows(before), _rows(after)
    names = dict(zip(before["team"], before["name"], strict=True))
    names |= dict(zip(after["team"], after["name"], strict=True))
    return sorted(names[team] for team in old.keys() | new.keys() if old.get(team) != new.get(team))
