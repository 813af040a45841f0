"""The demo site writes to a warehouse of its own, so a real site's first sync starts empty."""

import os

from pipelines.commands.demo_site import thinkific_site
from resources.warehouse.engine import demo_warehouse_url, warehouse_url_from_env


def test_the_demo_site_uses_its_own_warehouse_when_none_is_set(monkeypatch):
    for name in ("THINKIFIC_API_KEY", "THINKIFIC_SITES_FILE", "WAREHOUSE_URL"):
        monkeypatch.delenv(name, raising=False)

    with thinkific_site() as site:
        during = warehouse_url_from_env()

    assert site.is_demo
    assert during == demo_warehouse_url()
    assert during.endswith("/.data/demo.db")
    assert "WAREHOUSE_URL" not in os.environ


def test_the_demo_site_keeps_a_warehouse_the_user_set(monkeypatch, tmp_path):
    for name in ("THINKIFIC_API_KEY", "THINKIFIC_SITES_FILE"):
        monkeypatch.delenv(name, raising=False)
    chosen = f"sqlite:///{tmp_path / 'mine.db'}"
    monkeypatch.setenv("WAREHOUSE_URL", chosen)

    with thinkific_site():
        during = warehouse_url_from_env()

    assert during == chosen
