"""Case reviews: no personal data, dates in order, clocks on injected dates, the yearly ASB figures
against a hand count, recommendations as strategy actions, and who may write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine

from safer_communities.errors import InputError, NotFoundError, PermissionDeniedError
from safer_communities.framework import amendments
from safer_communities.framework.compliance import CaseClocks, rate
from safer_communities.framework.loader import read_framework, shipped_path
from safer_communities.reviews import register as reviews
from safer_communities.reviews.clocks import add_working_days, clocks
from safer_communities.reviews.register import ASB_COLUMNS
from safer_communities.store.app_db import open_app_db
from safer_communities.web import accounts

BURNLEY, PRESTON = "E07000117", "E07000123"


@pytest.fixture
def engine(app_db_url: str) -> Iterator[Engine]:
    engine = open_app_db(app_db_url)
    amendments.load(engine, read_framework(shipped_path()), by="Loader", origin="shipped")
    accounts.add_user(engine, "officer", roles=["editor"], password=None, by="tests")
    accounts.add_user(engine, "reader", roles=["viewer", "analyst"], password=None, by="tests")
    accounts.add_user(engine, "chair", roles=["approver"], password=None, by="tests")
    yield engine
    engine.dispose()


def test_a_review_is_a_reference_and_an_area_never_a_name(engine: Engine) -> None:
    for bad in ("Jane Smith", "J", "DARDR 2026 01", "<script>"):
        with pytest.raises(InputError, match="case reference only"):
            reviews.add(engine, kind="dardr", reference=bad, area_code=BURNLEY,
                        notified_on=date(2026, 1, 5), by="officer")
    with pytest.raises(InputError, match="GSS code"):
        reviews.add(engine, kind="dardr", reference="DARDR-2026-01", area_code="Burnley",
                    notified_on=date(2026, 1, 5), by="officer")
    with pytest.raises(PermissionDeniedError, match="editor or approver"):
        reviews.add(engine, kind="dardr", reference="DARDR-2026-01", area_code=BURNLEY,
                    notified_on=date(2026, 1, 5), by="reader")
    reviews.add(engine, kind="dardr", reference="DARDR-2026-01", area_code=BURNLEY,
                notified_on=date(2026, 1, 5), by="officer", today=date(2026, 1, 6))
    with pytest.raises(InputError, match="already registered"):
        reviews.add(engine, kind="dardr", reference="DARDR-2026-01", area_code=BURNLEY,
                    notified_on=date(2026, 1, 5), by="officer", today=date(2026, 1, 6))


def test_dates_must_follow_each_other_and_not_be_in_the_future(engine: Engine) -> None:
    reviews.add(engine, kind="dardr", reference="DARDR-2026-02", area_code=BURNLEY,
                notified_on=date(2026, 3, 2), by="officer", today=date(2026, 3, 3))
    with pytest.raises(InputError, match="decision date is before the notified"):
        reviews.update(engine, "DARDR-2026-02", by="chair", today=date(2026, 3, 10),
                       decision="review", decided_on=date(2026, 3, 1))
    with pytest.raises(InputError, match="in the future"):
        reviews.update(engine, "DARDR-2026-02", by="chair", today=date(2026, 3, 10),
                       decision="review", decided_on=date(2026, 3, 11))
    with pytest.raises(InputError, match="decision is one of: review, no-review"):
        reviews.update(engine, "DARDR-2026-02", by="chair", today=date(2026, 3, 10),
                       decision="threshold-met", decided_on=date(2026, 3, 9))
    with pytest.raises(NotFoundError):
        reviews.update(engine, "NO-SUCH-REF", by="chair", decision="review", decided_on=date(2026, 3, 9))


def test_a_dardr_goes_overdue_on_the_injected_date(engine: Engine) -> None:
    reviews.add(engine, kind="dardr", reference="DARDR-2026-03", area_code=BURNLEY,
                notified_on=date(2026, 1, 31), by="officer", today=date(2026, 2, 1))
    # one month from 31 January is 28 February 2026 (no 31st): due that day, overdue the next
    [decision, completion] = reviews.get(engine, "DARDR-2026-03", today=date(2026, 2, 1),
                                         amber_days=14).deadlines
    assert (decision.clock.id, decision.due) == ("dardr-decision", date(2026, 2, 28))
    assert decision.state == "running"
    assert completion.state == "not-started"
    states = [reviews.get(engine, "DARDR-2026-03", today=day, amber_days=14).deadlines[0].state
              for day in (date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 28), date(2026, 3, 1))]
    assert states == ["running", "due-soon", "due-soon", "overdue"]
    view = reviews.get(engine, "DARDR-2026-03", today=date(2026, 3, 1), amber_days=14)
    assert "OVERDUE since 28 February 2026" in view.overdue[0].message
    # decided late: the decision clock says so, and the six-month completion clock starts
    reviews.update(engine, "DARDR-2026-03", by="chair", today=date(2026, 3, 4), decision="review",
                   decided_on=date(2026, 3, 3))
    [decision, completion] = reviews.get(engine, "DARDR-2026-03", today=date(2026, 3, 4),
                                         amber_days=14).deadlines
    assert decision.state == "late" and completion.due == date(2026, 9, 3) and completion.state == "running"
    assert reviews.get(engine, "DARDR-2026-03", today=date(2026, 9, 4), amber_days=14).overdue[0] \
        .clock.id == "dardr-completion"
    # compliance: the per-case duty turns red while a review is overdue
    clocks_now = reviews.case_clocks(engine, today=date(2026, 9, 4), amber_days=14)
    assert clocks_now == {"domestic-homicide-reviews": CaseClocks(overdue=1, due_soon=0, open=1)}
    framework = read_framework(shipped_path())
    rating = {r.duty_id: r for r in rate(framework, date(2026, 9, 4), amber_days=14, cases=clocks_now)}
    assert rating["domestic-homicide-reviews"].rating == "red"
    assert "1 of 1 open case review(s) are past" in rating["domestic-homicide-reviews"].rule


def test_a_no_review_decision_stops_the_completion_clock(engine: Engine) -> None:
    reviews.add(engine, kind="owhr", reference="OWHR-2026-01", area_code=PRESTON,
                notified_on=date(2026, 4, 1), by="officer", today=date(2026, 4, 1))
    reviews.update(engine, "OWHR-2026-01", by="chair", today=date(2026, 4, 20), decision="no-review",
                   decided_on=date(2026, 4, 20), closed_on=date(2026, 4, 20))
    [decision] = reviews.get(engine, "OWHR-2026-01", today=date(2027, 1, 1), amber_days=30).deadlines
    assert decision.state == "met" and decision.clock.status == "to-check"


def test_only_an_approver_signs_off_decision_publication_and_closing(engine: Engine) -> None:
    reviews.add(engine, kind="dardr", reference="DARDR-2026-05", area_code=BURNLEY,
                notified_on=date(2026, 1, 5), by="officer", today=date(2026, 1, 6))
    day = date(2026, 9, 30)
    for step, change in (("decision", {"decision": "review", "decided_on": date(2026, 1, 20)}),
                         ("decision", {"decided_on": date(2026, 1, 20)}),
                         ("publication", {"published_on": date(2026, 9, 1)}),
                         ("closing", {"closed_on": date(2026, 9, 2)})):
        with pytest.raises(PermissionDeniedError, match=f"cannot sign off the {step} of DARDR-2026-05: it "
                                                        "needs the approver role"):
            reviews.update(engine, "DARDR-2026-05", by="officer", today=day, **change)
    view = reviews.get(engine, "DARDR-2026-05", today=day)
    assert view.decision is None and view.dates["published_on"] is None and view.closed_on is None
    assert view.signed_off == {"decision": None, "publication": None, "closing": None}
    # the approver signs off the decision; the editor records the process in between
    reviews.update(engine, "DARDR-2026-05", by="chair", today=day, decision="review",
                   decided_on=date(2026, 1, 20))
    done = reviews.update(engine, "DARDR-2026-05", by="officer", today=day, panel_on=date(2026, 2, 10),
                          draft_on=date(2026, 5, 1), qa_submitted_on=date(2026, 7, 1),
                          recommendations_made=True)
    assert set(done) == {"panel_on", "draft_on", "qa_submitted_on", "recommendations_made"}
    # re-sending an unchanged decision is no sign-off, so an editor may save the form as it is
    assert reviews.update(engine, "DARDR-2026-05", by="officer", today=day, decision="review") == {}
    reviews.update(engine, "DARDR-2026-05", by="chair", today=day, published_on=date(2026, 9, 1),
                   closed_on=date(2026, 9, 2))
    view = reviews.get(engine, "DARDR-2026-05", today=day)
    assert view.signed_off == {"decision": "chair", "publication": "chair", "closing": "chair"}
    assert view.to_dict()["signed_off"]["publication"] == "chair" and not view.is_open


def test_asb_working_day_clocks() -> None:
    assert add_working_days(date(2026, 1, 2), 10) == date(2026, 1, 16)  # Friday + 10 weekdays
    assert add_working_days(date(2026, 1, 3), 1) == date(2026, 1, 5)  # Saturday -> Monday
    ids = [c.id for c in clocks() if c.kind == "asb"]
    assert ids == ["asb-threshold-decision", "asb-review-held", "asb-outcome-sent"]
    assert all(c.status == "local" for c in clocks() if c.kind == "asb")
    assert "Act 2014 s104" in clocks()[4].source
    assert all(c.url.startswith("https://www.gov.uk/") for c in clocks())


# (reference, area, received, decision, decided, review held, recommendations)
ASB_CASES = [
    ("ASB-B-01", BURNLEY, date(2025, 4, 3), "threshold-met", date(2025, 4, 10), date(2025, 5, 1), True),
    ("ASB-B-02", BURNLEY, date(2025, 6, 2), "threshold-met", date(2025, 6, 9), date(2025, 7, 1), False),
    ("ASB-B-03", BURNLEY, date(2025, 9, 1), "threshold-not-met", date(2025, 9, 8), None, None),
    ("ASB-B-04", BURNLEY, date(2025, 11, 3), "threshold-met", date(2025, 11, 10), date(2025, 12, 1), True),
    ("ASB-B-05", BURNLEY, date(2026, 1, 5), "threshold-met", date(2026, 1, 12), date(2026, 2, 2), True),
    ("ASB-B-06", BURNLEY, date(2026, 3, 2), "threshold-met", date(2026, 3, 9), date(2026, 4, 1), True),
    ("ASB-B-07", BURNLEY, date(2026, 2, 2), "threshold-not-met", date(2026, 2, 9), None, None),
    ("ASB-P-01", PRESTON, date(2025, 5, 6), "threshold-met", date(2025, 5, 13), date(2025, 6, 2), True),
    ("ASB-P-02", PRESTON, date(2025, 3, 3), "threshold-met", date(2025, 3, 10), date(2025, 4, 7), False),
]


def test_yearly_asb_figures_match_a_hand_count_and_are_protected(engine: Engine) -> None:
    for ref, area, received, decision, decided, held, recs in ASB_CASES:
        reviews.add(engine, kind="asb", reference=ref, area_code=area, notified_on=received, by="officer",
                    today=date(2026, 6, 1))
        reviews.update(engine, ref, by="chair", today=date(2026, 6, 1), decision=decision,
                       decided_on=decided)
        reviews.update(engine, ref, by="officer", today=date(2026, 6, 1), panel_on=held,
                       recommendations_made=recs)
    figures = reviews.asb_figures(engine, "2025-26")
    # By hand, 1 April 2025 to 31 March 2026:
    # Burnley: received B-01..B-07 = 7; not met B-03, B-07 = 2; held B-01, B-02, B-04, B-05 = 4
    #   (B-06 held 1 April 2026, next year); with recommendations B-01, B-04, B-05 = 3.
    # Preston: received P-01 = 1 (P-02 was March 2025); held P-01 and P-02 (7 April 2025) = 2;
    #   with recommendations P-01 = 1; not met 0.
    assert figures.counts.loc[BURNLEY].tolist() == [7, 2, 4, 3]
    assert figures.counts.loc[PRESTON].tolist() == [1, 0, 2, 1]
    assert figures.counts.loc["Total"].tolist() == [8, 2, 6, 4]
    published = figures.published
    # Preston's one application is under 5 (primary); Burnley's 7 would give it away as 8 - 7, so it is
    # withheld too (secondary); the total is published.
    assert published.loc[:, "applications"].tolist() == ["[c]", "<5", "8"]
    # 1 to 4 are never published as themselves; zero is
    assert published.loc[PRESTON, "threshold_not_met"] == "0"
    for area in (BURNLEY, PRESTON):
        for column in ASB_COLUMNS:
            value = figures.counts.loc[area, column]
            if 0 < value < 5:
                assert published.loc[area, column] == "<5", (area, column)
    assert any("<5" in note for note in figures.notes)
    with pytest.raises(InputError, match="financial year"):
        reviews.asb_figures(engine, "2025-27")
    with pytest.raises(NotFoundError):
        reviews.asb_figures(engine, "2019-20")


def test_the_framework_export_rates_per_case_duties_by_the_review_register(engine: Engine) -> None:
    from safer_communities.framework import exports
    from safer_communities.framework.queries import evidence_status

    reviews.add(engine, kind="dardr", reference="DARDR-2026-07", area_code=BURNLEY,
                notified_on=date(2026, 1, 5), by="officer", today=date(2026, 1, 6))
    day = date(2026, 3, 1)  # the one-month decision clock ran out on 5 February
    cases = reviews.case_clocks(engine, today=day, amber_days=30)
    framework = read_framework(shipped_path())
    published = exports.Published(1, date(2026, 1, 1))
    header, rows = evidence_status(framework, day, amber_days=30, cases=cases)
    row = dict(zip(header, next(r for r in rows if r[0].startswith("Domestic abuse related death")),
                   strict=True))
    assert row["rating"] == "red" and "1 of 1 open case review(s) are past" in row["rule"]
    for text in (exports.render_md(framework, published, day, amber_days=30, cases=cases),
                 exports.render_html(framework, published, day, amber_days=30, cases=cases)):
        assert "1 of 1 open case review(s) are past" in text
    # without the register the same duty is rated on its evidence alone: the review would be invisible
    assert "open case review(s)" not in exports.render_md(framework, published, day, amber_days=30)
