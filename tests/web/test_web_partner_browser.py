"""Real-browser check of the analyst's partner-data pages (Playwright + Debian's chromium, axe-core WCAG
2.1 A and AA), on the web demo store with the SYNTHETIC feeds and the real partner statistics slices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from test_web_browser import _axe, _sign_in, page, pytestmark, server  # noqa: F401 (fixtures)
from test_web_partner_data import feed_store  # noqa: F401 (fixture)


@pytest.fixture
def app(app_factory: Callable[..., FastAPI], feed_store: Path) -> FastAPI:  # noqa: F811
    """The browser's server runs on the store with the feeds (overrides the conftest ``app``)."""
    from datetime import date

    from safer_communities import sharing

    made = app_factory(db=feed_store)
    sharing.add_agreement(made.state.engine, agreement_id="test-svd-2025", title="Test SVD sharing",
                          parties=["lancashire-constabulary"], legal_gateway="PCSC Act 2022 s16",
                          purposes="Serious Violence Duty", schemas=["istv", "force-crimes", "council-asb"],
                          retention_days=730, start_date=date(2025, 1, 1), review_date=date(2027, 6, 30),
                          dpia_date=date(2025, 1, 10), by="tests")
    return made


def test_partner_data_pages_in_a_browser(page: object) -> None:  # noqa: F811
    _sign_in(page)  # the test officer holds the analyst role among others
    page.get_by_role("link", name="Partner data").click()
    page.wait_for_url("**/partner-data")
    assert page.get_by_role("heading", level=1).inner_text() == "Record-level partner data"
    assert page.locator("table tbody tr").count() == 3
    _axe(page, "partner-data")
    page.get_by_role("link", name="Council anti-social behaviour incidents").click()
    page.get_by_role("link", name="By district").click()
    page.wait_for_url("**view=area")
    assert "Burnley" in page.locator("table").inner_text()
    _axe(page, "partner-data-by-area")
    page.get_by_role("link", name="Records", exact=True).click()
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2*")
    assert page.get_by_role("heading", level=2).inner_text() == "Records 51 to 100 of 400"
    _axe(page, "partner-data-records")


def test_partner_evidence_on_the_tracker_and_dashboard_in_a_browser(page: object) -> None:  # noqa: F811
    _sign_in(page)
    for path, name in (("/strategy", "tracker-partner-evidence"), ("/?issue=violence", "dashboard-partner")):
        page.goto(path)
        section = page.locator("section.partner-evidence").first
        assert section.get_by_role("heading", level=2).inner_text() == "What partners' data shows"
        assert "Blackpool" in section.inner_text()
        _axe(page, name)
