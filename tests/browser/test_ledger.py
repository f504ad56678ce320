"""The controlled-substance ledger in a real browser, as issue 25's "Done when" asks: an IV
session in which the clinician picks the vial, records a draw larger than the dose, and a
second clinician witnesses the waste on the same screen (the clinician's own name is refused as
the witness); then the end-of-day blind count, which shows no expected figure, matches the
ledger.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, PHONE, give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_session_log import pick_container
from tests.treatments.ledger import PASSWORD, authenticator, current_code, stocked
from tests.treatments.sessions import booked_session, checked_in, pre_dose
from treatments.models import Discrepancy, LedgerEntry, StockCount

OWN_WASTE = "You cannot witness your own waste: a second clinician must."


@pytest.mark.clinic_day
def test_a_witnessed_waste_at_the_chair_then_the_blind_count_matches_the_ledger(
    page, live_server, clinician_user, second_clinician_user
):
    # A 500 mg vial (50 mg/mL, 10 mL) delivered this morning; a patient checked in for a
    # 35 mg IV dose, the checks before it done. The witness has their authenticator app.
    [vial] = stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-001",))
    session = booked_session(by=clinician_user, dose_mg="35.0")
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)
    authenticator(second_clinician_user)

    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    administration = page.get_by_role("region", name="Administration")
    expect(administration.get_by_label("Dose given (mg)")).to_have_value("35.0")

    # 40 mg drawn for a 35 mg dose: 5 mg to waste. The clinician first names themselves as
    # the witness, and is refused beside that field, what they typed kept.
    pick_container(page, "Container drawn from", "K-001")
    page.get_by_label("Amount drawn from it").fill("40")
    page.get_by_label("Waste disposed of by").select_option(
        label="Rendered non-retrievable in a drug-disposal container"
    )
    page.get_by_label("Witness's user name").fill(clinician_user.username)
    page.get_by_label("Witness's password").fill(PASSWORD)
    page.get_by_label("Witness's authenticator code").fill("123456")
    page.get_by_role("button", name="Record the administration").click()

    witness_name = page.get_by_label("Witness's user name")
    expect(witness_name).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(OWN_WASTE, exact=True)).to_be_visible()
    # The refusal is the witness field's own description, read out with it.
    described_by = witness_name.get_attribute("aria-describedby") or ""
    assert any(
        OWN_WASTE in (page.locator(f"#{id_}").text_content() or "") for id_ in described_by.split()
    ), described_by
    expect(page.get_by_label("Container drawn from")).to_have_value(str(vial.pk))
    expect(page.get_by_label("Amount drawn from it")).to_have_value("40")
    expect(page.get_by_label("Waste disposed of by")).to_have_value(
        LedgerEntry.Method.DRUG_DISPOSAL_CONTAINER
    )
    expect(witness_name).to_have_value(clinician_user.username)
    assert not LedgerEntry.objects.filter(session=session).exists()
    assert serious_violations(page) == []

    # At phone width the refused form still reads: each field and its error in one column.
    page.set_viewport_size(PHONE)
    screenshot(page, "ledger-session-refused-phone")
    # The whole page at phone width is long: the administration form alone, to look at.
    administration.screenshot(path=ARTIFACTS / "ledger-administration-refused-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The second clinician steps up to the same screen and confirms with their own password
    # and the code their authenticator shows now.
    witness_name.fill(second_clinician_user.username)
    page.get_by_label("Witness's password").fill(PASSWORD)
    page.get_by_label("Witness's authenticator code").fill(current_code(second_clinician_user))
    administration.screenshot(path=ARTIFACTS / "ledger-administration-witness.png")
    page.get_by_role("button", name="Record the administration").click()
    expect(page.get_by_role("status").first).to_contain_text("Monitoring has started")
    expect(administration).to_contain_text(re.compile(r"Administered from K-001\s*35 mg"))
    expect(administration).to_contain_text(
        re.compile(r"Wasted from K-001\s*5 mg, witnessed by Rosa Osei")
    )
    screenshot(page, "ledger-administration-recorded")
    assert serious_violations(page) == []
    waste = LedgerEntry.objects.get(session=session, kind=LedgerEntry.Kind.WASTE)
    assert (waste.container_id, waste.witness_id) == (vial.pk, second_clinician_user.pk)

    # End of the day: the blind count, from the navigation.
    page.get_by_role("link", name="Controlled substances").first.click()
    expect(page.get_by_role("heading", name="Controlled substances", level=1)).to_be_visible()
    screenshot(page, "ledger-stock")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Start today's count").click()
    expect(page.get_by_role("heading", name="End-of-day count", level=1)).to_be_visible()
    shelf = page.get_by_label("K-001: mg on the shelf")
    expect(shelf).to_be_visible()
    expect(shelf).to_have_value("")
    # Blind: the ledger's 460 mg is nowhere on the page, not even in its markup.
    assert "460" not in page.content()
    screenshot(page, "ledger-count-blind")
    assert serious_violations(page) == []

    shelf.fill("460")
    page.get_by_role("button", name="Record the count").click()
    expect(page.get_by_role("status").first).to_contain_text("Count matches the ledger")
    row = page.get_by_role("row", name=re.compile("^K-001"))
    expect(row).to_contain_text("460 mg")
    expect(row).to_contain_text("Matches")
    screenshot(page, "ledger-count-matches")
    assert serious_violations(page) == []
    count = StockCount.objects.get()
    assert count.kind == StockCount.Kind.DAILY
    assert not Discrepancy.objects.exists()
