"""Real-browser tests (Playwright + Debian's chromium): sign in, filters, map and chart drawn, propose and
approve an amendment, and axe-core finds no serious accessibility violation on any page."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from web_helpers import PASSWORD

from safer_communities.web import accounts

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("assets") / "axe.min.js"
SHOTS = os.environ.get("SAFER_SCREENSHOTS")  # a folder to keep screenshots in, when set
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                "(apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app) -> Iterator[str]:
    import uvicorn

    accounts.add_user(app.state.engine, "officer", roles=["editor", "approver", "analyst", "admin"],
                      password=PASSWORD, by="tests")
    accounts.add_user(app.state.engine, "deputy", roles=["approver"], password=PASSWORD, by="tests")
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: str) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        # bypass_csp lets the test inject axe-core; the application's own pages need no exception.
        context = browser.new_context(base_url=server, bypass_csp=True,
                                      viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        browser.close()
        assert not errors, errors


def _axe(page: object, name: str) -> None:
    """No serious or critical violation (axe-core, WCAG 2.1 A and AA rules)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page: object, name: str = "officer") -> None:
    page.goto("/")
    assert "/login" in page.url
    _axe(page, "login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_road_safety_on_the_dashboard(page: object) -> None:
    """KSI collisions per 100,000: the map reads the rate field the answer names."""
    _sign_in(page)
    page.get_by_label("Issue").select_option("road-safety")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/?issue=road-safety*")
    page.wait_for_selector("#map[data-drawn='14']")
    assert page.get_by_test_id("headline-count").inner_text() == "906"
    assert page.get_by_test_id("headline-rate").inner_text() == "59.8"
    assert page.locator("#map .legend").inner_text().startswith("Key: rate per 100,000")
    assert page.locator("svg.trend-chart circle").count() == 12
    _axe(page, "dashboard-road-safety")


def test_dashboard_filters_map_and_chart(page: object) -> None:
    _sign_in(page)
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Dashboard: ") and heading.endswith(" in Lancashire")
    page.wait_for_selector("#map[data-drawn='14']")  # the fourteen districts
    assert page.locator("#map path.leaflet-interactive").count() >= 14
    assert page.locator("svg.trend-chart polyline.trend-line").count() == 1
    assert page.locator("svg.trend-chart circle").count() == 12
    assert page.get_by_test_id("headline-count").inner_text() == "69,497"  # + 8,142 unlocated
    _axe(page, "dashboard-county")

    page.get_by_label("Area").select_option(label="Burnley")
    page.get_by_label("Issue").select_option("asb")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/?issue=asb&area=E07000117&period=latest-12-months")
    page.wait_for_selector("#map[data-drawn='60']")  # Burnley's sixty LSOAs
    assert page.get_by_test_id("headline-count").inner_text() == "5,563"
    assert "[u]" in page.locator("#units").inner_text()  # an unreliable rate withheld
    _axe(page, "dashboard-burnley")

    page.get_by_label("Period").fill("last summer")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("alert").is_visible()
    assert "That period is not understood." in page.get_by_role("alert").inner_text()


def test_propose_and_approve_an_amendment(page: object) -> None:
    _sign_in(page)
    page.goto("/amendments")
    page.get_by_label("Kind of entry").select_option("issues")
    page.get_by_label("Entry id").fill("asb")
    page.get_by_label("Fields to set").fill("description: Anti-social behaviour reported to the police.")
    page.get_by_label("Reason").fill("Say whose records these are.")
    page.get_by_role("button", name="Propose").click()
    heading = page.locator("article.amendment h3").first
    assert "proposed" in heading.inner_text()
    _axe(page, "amendments")
    # the proposer cannot decide it: another approver signs in and enters the consultation
    assert "another approver decides it" in page.locator("article.amendment").first.inner_text()
    page.context.clear_cookies()
    _sign_in(page, "deputy")
    page.goto("/amendments")
    article = page.locator("article.amendment").first
    article.get_by_label("Who was consulted").fill("Cabinet Member for Community and Cultural Services")
    article.get_by_label("When").fill(date.today().isoformat())
    article.get_by_label("Outcome of the consultation").fill("Agreed by e-mail.")
    _axe(page, "amendments-approver")
    article.get_by_role("button", name="Approve amendment").click()
    assert "approved" in page.locator("article.amendment h3").first.inner_text()
    assert "published as version 2" in page.locator("article.amendment").first.inner_text()


@pytest.mark.parametrize("path", ["/framework", "/strategy", "/reviews", "/quality", "/reports",
                                  "/admin/audit", "/admin/users", "/issues/violence", "/areas/E07000117"])
def test_every_page_is_accessible(page: object, path: str) -> None:
    _sign_in(page)
    page.goto(path)
    assert page.get_by_role("heading", level=1).count() == 1
    _axe(page, path.strip("/").replace("/", "-"))


def test_keyboard_reaches_the_filters_through_the_skip_link(page: object) -> None:
    _sign_in(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.slow
def test_build_and_download_a_report(page: object) -> None:
    import zipfile

    _sign_in(page)
    page.goto("/reports")
    page.get_by_label("Area").select_option(label="Burnley")
    page.get_by_label("Format").select_option("html")
    page.get_by_role("button", name="Build report").click()
    page.wait_for_url("**/reports/jobs/*")
    # The job page refreshes itself until the build has finished, then offers the download.
    page.locator("#download").wait_for(timeout=300000)
    assert page.locator("#job-status").inner_text() == "done"
    _axe(page, "report-job")
    with page.expect_download(timeout=60000) as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename.startswith("needs-assessment-E07000117-")
    names = zipfile.ZipFile(download.path()).namelist()
    assert "index.html" in names


def test_map_tooltips_show_names_as_text_never_as_html(page: object) -> None:
    """A boundary name carrying HTML (as a hostile or broken source could deliver it) is shown as text."""
    import json

    payload = '<img src="x" id="injected" onerror="window.__pwned = 1">Burnley'

    def hostile(route: object) -> None:
        body = route.fetch().json()
        for feature in body["features"]:
            feature["properties"]["area_name"] = payload
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/evidence/map*", hostile)
    _sign_in(page)
    page.wait_for_selector("#map[data-drawn='14']")
    page.locator("#map path.leaflet-interactive").first.hover(force=True)
    tooltip = page.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    assert tooltip.inner_text().startswith(payload + ": ")
    assert page.locator("#injected").count() == 0
    assert page.evaluate("() => window.__pwned") is None
