"""Every page on a 390 px phone (Playwright + Debian's chromium): nothing wider than the screen, signed
in with each role and in public mode; the map key folds away and leaves east Lancashire uncovered; no
link in public mode leads to the sign-in page; areas are named beside their codes (issue 13, item 6)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi import FastAPI
from web_helpers import PASSWORD, ROLES

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("assets") / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
BURNLEY = "E07000117"
EAST = {"E07000117": "Burnley", "E07000120": "Hyndburn", "E07000122": "Pendle", "E07000125": "Rossendale"}
REVIEW = "DARDR-2026-PHONE"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                "(apt-get install -y chromium)")

# Every page a signed-in user can reach; a role without the permission gets the 403 page, which must
# fit too.
JOB = "0123456789abcdef0123456789abcdef"  # a job id is 32 hex digits
PAGES = ["/", f"/?area={BURNLEY}", "/?issue=road-safety", "/framework", "/amendments", "/strategy",
         "/reviews", f"/reviews/{REVIEW}", "/quality", "/reports", f"/reports/jobs/{JOB}",
         "/admin/audit", "/admin/users", "/issues/violence", "/issues/domestic-abuse", "/areas/E23000003",
         f"/areas/{BURNLEY}", "/api/v1/docs"]

# What the page's own scripts write in (map, chart, Swagger UI) has had time to land when this holds.
WIDTH = """() => ({scroll: document.documentElement.scrollWidth, inner: innerWidth,
  wide: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
    .filter(e => { for (let a = e.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return false; }
      return true; })
    .slice(0, 5).map(e => e.tagName + '.' + e.className)})"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app: FastAPI) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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


def _seed(app: FastAPI) -> None:
    """A case review and a finished-with-failure report job, so their pages have something to show."""
    from safer_communities.reviews import register
    from safer_communities.store.app_db import session_scope
    from safer_communities.web.models import ReportJob

    engine = app.state.engine
    register.add(engine, kind="dardr", reference=REVIEW, area_code=BURNLEY, notified_on=date(2026, 1, 5),
                 by="editor", today=date(2026, 1, 6))
    with session_scope(engine) as session:
        session.add(ReportJob(id=JOB, created_by="analyst", area_code=BURNLEY,
                              period="2021-04..2022-03", fmt="html", status="failed",
                              created_at=datetime(2026, 1, 6, 9, 30, tzinfo=UTC),
                              finished_at=datetime(2026, 1, 6, 9, 31, tzinfo=UTC),
                              error="An example failure kept for the page test.", output_dir="/nonexistent"))


@pytest.fixture
def signed_in_server(app: FastAPI) -> Iterator[str]:
    _seed(app)
    yield from _serve(app)


@pytest.fixture
def public_server(app_factory: Callable[..., FastAPI]) -> Iterator[str]:
    yield from _serve(app_factory(public_mode=True, secret_key=""))


@pytest.fixture
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def _phone(browser: object, base: str) -> object:
    context = browser.new_context(base_url=base, viewport=PHONE, bypass_csp=True, is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30000)
    return page


def _settle(page: object) -> None:
    if page.locator("#map").count():
        page.wait_for_selector("#map[data-drawn]")
    if page.locator("#swagger-ui").count():
        page.wait_for_selector("#swagger-ui .opblock")  # Swagger UI has drawn the operations


# A table squeezed to fit (a letter a line) passes the width test but cannot be read: no column
# heading may take more than four lines; a wide table scrolls in its box instead.
TALL_HEADINGS = """() => [...document.querySelectorAll('table thead th')]
  .map(th => [th.textContent.trim(),
               th.getBoundingClientRect().height / parseFloat(getComputedStyle(th).lineHeight)])
  .filter(([, lines]) => lines > 4.5)"""


def _fits(page: object, where: str) -> None:
    _settle(page)
    measured = page.evaluate(WIDTH)
    assert measured["scroll"] <= measured["inner"], f"{where}: {measured}"
    assert page.evaluate(TALL_HEADINGS) == [], where


def _axe(page: object, where: str) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{where} at 390 px: {bad}"


@pytest.mark.parametrize("role", ROLES)
def test_no_page_is_wider_than_a_phone(browser: object, signed_in_server: str, role: str) -> None:
    page = _phone(browser, signed_in_server)
    page.goto("/login")
    _fits(page, "/login")
    page.get_by_label("User name").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status in (200, 403), (path, response and response.status)
        _fits(page, f"{role} {path}")
        if role == "admin" and path != "/api/v1/docs":  # admin reaches every page; Swagger UI is not ours
            _axe(page, path)


def test_public_mode_fits_and_never_links_to_sign_in(browser: object, public_server: str) -> None:
    page = _phone(browser, public_server)
    seen: set[str] = set()
    queue = ["/", f"/?area={BURNLEY}&issue=asb", "/?issue=road-safety", "/api/v1/docs"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert "/login" not in page.url, f"{path} led to the sign-in page"
        _fits(page, f"public {path}")
        if path != "/api/v1/docs":
            _axe(page, f"public {path}")
        links = page.evaluate("() => [...document.querySelectorAll('a[href]')]"
                              ".map(a => a.getAttribute('href'))")
        for href in links:
            assert not href.startswith("/login"), f"{path} links to {href}"
            if href.startswith("/") and not href.startswith("/api/") and href not in seen:
                queue.append(href)
    assert f"/areas/{BURNLEY}" in seen  # the area page is public: published aggregates only
    assert len(seen) >= 5


def test_the_map_key_folds_and_leaves_east_lancashire_clear(browser: object, public_server: str) -> None:
    page = _phone(browser, public_server)
    page.goto("/")
    page.wait_for_selector("#map[data-drawn='14']")
    key = page.locator("#map details.legend")
    assert not key.evaluate("k => k.open")  # folded on a phone
    boxes = page.evaluate("""() => { const out = {};
      for (const p of document.querySelectorAll('#map path.leaflet-interactive')) {
        const r = p.getBoundingClientRect(); out[p.getAttribute('class').match(/area-(\\w+)/)[1]] =
          [r.left, r.top, r.right, r.bottom]; } return out; }""")
    assert set(EAST) <= set(boxes)

    def clear(rect: dict[str, float]) -> list[str]:
        return [name for code, name in EAST.items()
                if not (rect["x"] + rect["width"] <= boxes[code][0] or rect["x"] >= boxes[code][2]
                        or rect["y"] + rect["height"] <= boxes[code][1] or rect["y"] >= boxes[code][3])]

    assert clear(key.bounding_box()) == []
    key.locator("summary").click()  # opened, it lists the classes and still covers none of them
    assert key.evaluate("k => k.open")
    assert "withheld" in key.inner_text()
    assert clear(key.bounding_box()) == []


def test_chart_labels_are_readable_on_a_phone(browser: object, public_server: str) -> None:
    page = _phone(browser, public_server)
    page.goto("/")
    labels = page.evaluate("""() => [...document.querySelectorAll('svg.trend-chart text')]
      .filter(t => getComputedStyle(t).display !== 'none')
      .map(t => { const r = t.getBoundingClientRect();
                  return [t.textContent, r.left, r.right, r.height]; })""")
    months = [label for label in labels if "-" in label[0]]
    assert len(months) >= 4
    assert all(height >= 10 for _, _, _, height in labels), labels  # at least 10 px tall on screen
    chart = page.locator("svg.trend-chart").bounding_box()
    assert all(left >= chart["x"] - 0.5 for _, left, _, _ in labels), labels  # none clipped at the edge
    months.sort(key=lambda label: label[1])
    assert all(a[2] < b[1] for a, b in pairwise(months)), months  # none overlap


def test_areas_are_named_beside_their_codes(browser: object, signed_in_server: str) -> None:
    page = _phone(browser, signed_in_server)
    page.goto("/login")
    page.get_by_label("User name").fill("analyst")  # the role that builds reports
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(f"/reports/jobs/{JOB}")
    assert page.get_by_role("heading", level=1).inner_text() == f"Needs assessment for Burnley ({BURNLEY})"
    page.goto("/reviews")
    assert f"Burnley ({BURNLEY})" in page.locator("table").inner_text()
