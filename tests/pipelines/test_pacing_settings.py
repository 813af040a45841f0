"""The pacing settings as environment variables: read, defaulted, refused when unusable."""

import pytest

from pipelines.resources import SettingError, thinkific_resource

PACING_VARIABLES = ("THINKIFIC_RATE_LIMIT_HEADROOM", "THINKIFIC_PACING", "THINKIFIC_MAX_IN_FLIGHT")


def test_pacing_settings_default_to_burst_with_a_tenth_left_over(monkeypatch):
    for variable in PACING_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    resource = thinkific_resource()
    assert (resource.rate_limit_headroom, resource.pacing, resource.max_in_flight) == (
        0.1,
        "burst",
        10,
    )


def test_pacing_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("THINKIFIC_RATE_LIMIT_HEADROOM", "0.25")
    monkeypatch.setenv("THINKIFIC_PACING", "smooth")
    monkeypatch.setenv("THINKIFIC_MAX_IN_FLIGHT", "4")
    resource = thinkific_resource()
    assert (resource.rate_limit_headroom, resource.pacing, resource.max_in_flight) == (
        0.25,
        "smooth",
        4,
    )


@pytest.mark.parametrize("value", ["1", "-0.1", "most", "nan"])
def test_a_headroom_outside_zero_to_one_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("THINKIFIC_RATE_LIMIT_HEADROOM", value)
    with pytest.raises(SettingError, match="THINKIFIC_RATE_LIMIT_HEADROOM"):
        thinkific_resource()
