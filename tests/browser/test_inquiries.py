"""A consultation request in a real browser: a person on a phone asks for a consultation,
meets an error without losing what they typed, and is thanked; the front desk finds the request
in "New inquiries" and turns it into a patient."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from intake.models import ConsultationRequest
from intake.services import inquiries as inquiry_services
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.browser.test_accessibility import serious_violations


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the phone's screen (0: nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]


def test_a_request_from_a_phone_reaches_the_front_desk_and_becomes_a_patient(
    phone_page, page, live_server, front_desk_user, monkeypatch
):
    # A person takes far longer than the spam guard's few seconds; Playwright types in
    # milliseconds. (The guard itself is tested in tests/intake/test_inquiries.py.)
    monkeypatch.setattr(inquiry_services, "MIN_FILL_SECONDS", 0)
    visitor = phone_page
    visitor.goto(f"{live_server.url}/consultation/")
    expect(visitor.get_by_role("heading", name="Request a consultation")).to_be_visible()
    assert horizontal_overflow(visitor) <= 0
    assert serious_violations(visitor) == []
    screenshot(visitor, "phone-consultation-request")

    visitor.get_by_label("First name").fill("Quentin")
    visitor.get_by_label("Last name").fill("Abernathy")
    visitor.get_by_label("Date of birth").fill("1985-04-23")
    visitor.get_by_label("Mobile phone").fill("(512) 555-0199")
    visitor.get_by_role("textbox", name="Email").fill("q.abernathy@example.com")
    visitor.get_by_role("radio", name="Phone call").check()
    visitor.get_by_label("Anything you would like to tell us").fill("Two years of low mood.")
    visitor.get_by_label("How did you hear about us?").select_option(
        label="My doctor or psychiatrist"
    )
    visitor.get_by_label("I agree to the clinic contacting me about this request").check()
    visitor.get_by_role("button", name="Send my request").click()

    # Nothing ticked under "What would you like help with?": said at the top and beside it.
    summary = visitor.get_by_role("alert").filter(has_text="Please check the answer marked below")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Tick at least one thing you would like help with.")
    helped_with = visitor.get_by_role("group", name="What would you like help with?")
    expect(helped_with).to_contain_text("Tick at least one thing you would like help with.")
    expect(visitor.get_by_label("First name")).to_have_value("Quentin")
    expect(visitor.get_by_label("Last name")).to_have_value("Abernathy")
    expect(visitor.get_by_label("Date of birth")).to_have_value("1985-04-23")
    expect(visitor.get_by_label("Mobile phone")).to_have_value("(512) 555-0199")
    expect(visitor.get_by_role("textbox", name="Email")).to_have_value("q.abernathy@example.com")
    expect(visitor.get_by_role("radio", name="Phone call")).to_be_checked()
    expect(visitor.get_by_label("How did you hear about us?")).to_have_value("doctor")
    expect(
        visitor.get_by_label("I agree to the clinic contacting me about this request")
    ).to_be_checked()
    assert horizontal_overflow(visitor) <= 0
    assert serious_violations(visitor) == []
    screenshot(visitor, "phone-consultation-request-error")

    summary.get_by_role("link", name="What would you like help with?").click()
    expect(helped_with.get_by_label("Anxiety")).to_be_focused()
    helped_with.get_by_label("Depression").check()
    helped_with.get_by_label("Anxiety").check()
    visitor.get_by_role("button", name="Send my request").click()

    expect(visitor.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    # Nothing personal in the address (the browser may keep the error link's #fragment).
    address = urlsplit(visitor.url)
    assert (address.path, address.query) == ("/consultation/thanks/", "")
    expect(visitor.get_by_text("within one business day")).to_be_visible()
    expect(visitor.locator("main")).not_to_contain_text("Quentin")
    assert horizontal_overflow(visitor) <= 0
    screenshot(visitor, "phone-consultation-thanks")
    assert ConsultationRequest.objects.get().status == ConsultationRequest.Status.NEW

    # The front desk, at their desk.
    log_in(page, live_server, front_desk_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New inquiries").click()
    expect(page.get_by_role("heading", name="1 new inquiry")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Abernathy, Quentin")
    expect(row).to_contain_text("04/23/1985")
    expect(row).to_contain_text("Phone call")
    expect(row).to_contain_text("Anxiety, Depression")
    # Django's naturaltime puts a no-break space in "2\u00a0seconds ago": \s matches both.
    expect(row).to_contain_text(re.compile(r"(\d+|a|an)\s(seconds?|minutes?)\sago|now"))
    assert serious_violations(page) == []
    screenshot(page, "inquiry-queue")

    row.get_by_role("link", name="Abernathy, Quentin").click()
    expect(page.get_by_role("heading", name="Inquiry from Quentin Abernathy")).to_be_visible()
    expect(page.get_by_text("Two years of low mood.")).to_be_visible()
    screenshot(page, "inquiry-detail")
    page.get_by_role("link", name="Create patient").click()

    expect(page.get_by_role("heading", name="Create a patient from the inquiry")).to_be_visible()
    expect(page.get_by_label("Legal first name")).to_have_value("Quentin")
    expect(page.get_by_label("Legal last name")).to_have_value("Abernathy")
    expect(page.get_by_label("Date of birth")).to_have_value("1985-04-23")
    expect(page.get_by_label("Mobile phone")).to_have_value("(512) 555-0199")
    expect(page.get_by_label("Preferred contact")).to_have_value("phone")
    page.get_by_label("Sex assigned at birth").select_option(label="Male")
    page.get_by_role("button", name="Register patient").click()

    expect(page.get_by_role("heading", name="Quentin Abernathy")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(r"Registered Quentin Abernathy, MRN KC-[2-9A-Z]{7}, from their consultation")
    )
    expect(page.get_by_text(re.compile(r"MRN KC-[2-9A-Z]{7} · born 04/23/1985"))).to_be_visible()
    inquiry = ConsultationRequest.objects.select_related("patient").get()
    assert inquiry.status == ConsultationRequest.Status.CONVERTED
    assert inquiry.patient.full_name == "Quentin Abernathy"
    assert inquiry.handled_by == front_desk_user

    # It has left the queue.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New inquiries").click()
    expect(page.get_by_role("heading", name="0 new inquiries")).to_be_visible()
    expect(page.get_by_text("No new inquiries")).to_be_visible()


def test_a_request_sent_at_once_is_held_and_the_front_desk_releases_it(
    phone_page, page, live_server, front_desk_user, monkeypatch
):
    """A browser's autofill sends the form a moment after it opens, as a spam robot does: the
    request is held for the front desk, never thanked and dropped."""
    # However fast or slow this machine types, the request arrives "too fast" (the boundaries
    # of the check are tested in tests/intake/test_inquiries.py).
    monkeypatch.setattr(inquiry_services, "MIN_FILL_SECONDS", 10 * 60)
    visitor = phone_page
    visitor.goto(f"{live_server.url}/consultation/")
    expect(visitor.get_by_role("heading", name="Request a consultation")).to_be_visible()
    assert serious_violations(visitor) == []
    visitor.get_by_label("First name").fill("Ada")
    visitor.get_by_label("Last name").fill("Autofill")
    visitor.get_by_label("Date of birth").fill("1990-02-11")
    visitor.get_by_label("Mobile phone").fill("(512) 555-0177")
    visitor.get_by_role("textbox", name="Email").fill("ada.autofill@example.com")
    visitor.get_by_role("radio", name="Email").check()
    visitor.get_by_role("group", name="What would you like help with?").get_by_label(
        "Anxiety"
    ).check()
    visitor.get_by_label("I agree to the clinic contacting me about this request").check()
    visitor.get_by_role("button", name="Send my request").click()

    expect(visitor.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    assert serious_violations(visitor) == []
    inquiry = ConsultationRequest.objects.get()
    assert (inquiry.status, inquiry.held_reason) == (ConsultationRequest.Status.HELD, "too_fast")

    # The front desk sees it apart from the new inquiries, and releases it.
    log_in(page, live_server, front_desk_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New inquiries").click()
    expect(page.get_by_role("heading", name="0 new inquiries")).to_be_visible()
    held = page.get_by_role("region", name="Held for a check: 1 request")
    expect(held).to_be_visible()
    row = held.get_by_role("row").filter(has_text="Autofill, Ada")
    expect(row).to_contain_text("Sent too fast to be sure it was a person")
    expect(row).to_contain_text("Anxiety")
    assert serious_violations(page) == []
    screenshot(page, "inquiry-queue-held")
    row.get_by_role("button", name="Release to new inquiries").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Released the request from Ada Autofill to new inquiries."
    )
    expect(page.get_by_role("heading", name="1 new inquiry")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Held for a check"))).to_have_count(0)
    assert serious_violations(page) == []
    page.get_by_role("row").filter(has_text="Autofill, Ada").get_by_role(
        "link", name="Autofill, Ada"
    ).click()
    expect(page.get_by_role("heading", name="Inquiry from Ada Autofill")).to_be_visible()
    expect(page.get_by_text("released to new inquiries by")).to_be_visible()
    assert serious_violations(page) == []

    # They chose email and agreed to be contacted about the request: not to text messages.
    page.get_by_role("link", name="Create patient").click()
    expect(page.get_by_role("heading", name="Create a patient from the inquiry")).to_be_visible()
    expect(page.get_by_label("Preferred contact")).to_have_value("email")
    expect(page.get_by_role("checkbox", name="Consents to text messages")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Consents to email")).to_be_checked()
    assert serious_violations(page) == []
    page.get_by_label("Sex assigned at birth").select_option(label="Female")
    page.get_by_role("button", name="Register patient").click()

    expect(page.get_by_role("heading", name="Ada Autofill")).to_be_visible()
    expect(page.get_by_text("Texts: no")).to_be_visible()
    expect(
        page.get_by_text(
            re.compile(rf"Email: yes, given .* through consultation request #{inquiry.pk}")
        )
    ).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "patient-consent-provenance")


@pytest.mark.parametrize("viewport", ["page", "phone_page"], ids=["desktop", "phone"])
def test_a_visitor_to_the_home_address_finds_request_a_consultation(request, live_server, viewport):
    visitor = request.getfixturevalue(viewport)
    visitor.goto(f"{live_server.url}/")

    expect(visitor.get_by_role("heading", name="Staff sign in")).to_be_visible()
    link = visitor.get_by_role("link", name="Request a consultation")
    expect(link).to_be_visible()
    assert serious_violations(visitor) == []
    screenshot(visitor, f"home-visitor-{viewport}")
    link.click()

    expect(visitor.get_by_role("heading", name="Request a consultation")).to_be_visible()
    assert urlsplit(visitor.url).path == "/consultation/"
    assert serious_violations(visitor) == []
