"""Staff in a real browser: each role's sign-in and navigation, registering and finding a
patient, the audit entry for that view, 403 pages, and the layout at phone width."""

import base64
import re
from datetime import date

from playwright.sync_api import expect

from tests.browser.conftest import (
    PASSWORD,
    PHONE,
    current_code,
    give_authenticator,
    log_in,
    screenshot,
)
from tests.factories import PatientFactory


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


# --- Signing in and navigation ---------------------------------------------------------------


def test_front_desk_signs_in_with_a_password_and_sees_the_desk_navigation(
    page, live_server, front_desk_user
):
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
    screenshot(page, "login")

    log_in(page, live_server, front_desk_user)

    expect(page.get_by_role("heading", name="Welcome, Frances")).to_be_visible()
    nav = main_nav(page)
    expect(nav.get_by_role("link", name="Patients")).to_be_visible()
    expect(nav.get_by_role("link", name="Register patient")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit trail")).to_have_count(0)
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)


def test_clinician_signs_in_with_a_code_and_sees_the_clinical_navigation(
    page, live_server, clinician_user
):
    device = give_authenticator(clinician_user)
    log_in(page, live_server, clinician_user, device=device)

    expect(page.get_by_role("heading", name="Welcome, Casey")).to_be_visible()
    nav = main_nav(page)
    expect(nav.get_by_role("link", name="Patients")).to_be_visible()
    expect(nav.get_by_role("link", name="Register patient")).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit trail")).to_have_count(0)
    expect(nav.get_by_role("link", name="Staff")).to_have_count(0)
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)


def test_clinician_without_an_authenticator_is_walked_through_setting_one_up(
    page, live_server, clinician_user
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(clinician_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up two-factor sign in")).to_be_visible()
    expect(page.get_by_role("img", name="Authenticator set-up code")).to_be_visible()
    expect(main_nav(page).get_by_role("link", name="Patients")).to_have_count(0)
    key_text = page.get_by_text("Enter this key in the app").inner_text()
    key = key_text.split(":", 1)[1].replace(" ", "").strip()
    bin_key = base64.b32decode(key + "=" * (-len(key) % 8))

    screenshot(page, "two-factor-set-up")
    page.get_by_label("6-digit code from your authenticator app").fill(current_code(bin_key))
    page.get_by_role("button", name="Verify").click()

    expect(
        page.get_by_role("status").filter(has_text="Two-factor sign-in is set up.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, Casey")).to_be_visible()
    assert clinician_user.totpdevice_set.get().confirmed


def test_clinic_admin_signs_in_with_a_code_and_lands_in_the_admin(page, live_server, admin_user):
    device = give_authenticator(admin_user)
    log_in(page, live_server, admin_user, device=device)

    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Staff, settings and audit trail")).to_be_visible()
    expect(page.get_by_role("link", name="Audit trail")).to_be_visible()
    expect(page.get_by_role("link", name="Staff", exact=True)).to_be_visible()


# --- Registering and finding a patient -------------------------------------------------------


def test_front_desk_registers_a_patient_fixing_a_bad_phone_then_finds_them(
    page, live_server, front_desk_user
):
    # Someone already registered, who must not turn up in the searches below.
    PatientFactory(
        legal_first_name="Maria", legal_last_name="Okafor", date_of_birth=date(1979, 2, 3)
    )
    log_in(page, live_server, front_desk_user)
    main_nav(page).get_by_role("link", name="Register patient").click()
    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()

    page.get_by_label("Legal first name").fill("Quentin")
    page.get_by_label("Legal last name").fill("Abernathy")
    page.get_by_label("Date of birth").fill("1985-04-23")
    page.get_by_label("Sex assigned at birth").select_option(label="Male")
    mobile = page.get_by_label("Mobile phone")
    mobile.fill("555-12")
    page.get_by_role("textbox", name="Email", exact=True).fill("q.abernathy@example.com")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("ZIP code").fill("78701")
    page.get_by_role("button", name="Register patient").click()

    # The mistake is explained next to the field, and nothing typed is lost.
    expect(
        page.get_by_role("alert").filter(has_text="Please correct the error below")
    ).to_be_visible()
    expect(mobile).to_have_accessible_description(re.compile("Enter a valid phone number"))
    expect(mobile).to_have_value("555-12")
    expect(page.get_by_label("Legal first name")).to_have_value("Quentin")
    expect(page.get_by_label("Legal last name")).to_have_value("Abernathy")
    expect(page.get_by_label("Date of birth")).to_have_value("1985-04-23")
    expect(page.get_by_label("Sex assigned at birth")).to_have_value("male")
    expect(page.get_by_label("ZIP code")).to_have_value("78701")
    screenshot(page, "register-with-error")

    mobile.fill("(512) 555-0199")
    page.get_by_role("button", name="Register patient").click()

    heading = page.get_by_role("heading", name="Quentin Abernathy")
    expect(heading).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Registered Quentin Abernathy, MRN KC-")
    summary = page.get_by_text(re.compile(r"MRN KC-[2-9A-Z]{7} · born 04/23/1985"))
    expect(summary).to_be_visible()
    mrn = re.search(r"KC-[2-9A-Z]{7}", summary.inner_text()).group(0)
    patient_url = page.url
    screenshot(page, "patient-summary")

    for query in ("Abernathy", "04/23/1985"):
        main_nav(page).get_by_role("link", name="Patients").click()
        expect(page.get_by_role("heading", name="Recently registered")).to_be_visible()
        page.get_by_label("Search patients").fill(query)
        page.get_by_role("button", name="Search").click()
        results = page.get_by_role("table", name="Search results")
        expect(page.get_by_role("heading", name="1 match")).to_be_visible()
        expect(results.get_by_role("row").filter(has_text=mrn)).to_have_count(1)
        expect(results).not_to_contain_text("Okafor")
        # On a computer's width the mobile is shown beside the date of birth.
        expect(results.get_by_role("cell", name="(512) 555-0199")).to_be_visible()

    results.get_by_role("link", name="Abernathy, Quentin").click()
    expect(page.get_by_role("heading", name="Quentin Abernathy")).to_be_visible()
    expect(page).to_have_url(patient_url)


def test_clinic_admin_sees_the_front_desk_view_of_a_patient_in_the_audit_trail(
    browser, page, live_server, front_desk_user, admin_user, patient
):
    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_role("heading", name="Jane Rivera")).to_be_visible()

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        admin_page = admin_context.new_page()
        log_in(admin_page, live_server, admin_user, device=give_authenticator(admin_user))
        admin_page.get_by_role("link", name="Audit trail").click()
        admin_page.get_by_role("link", name="access", exact=True).click()
        admin_page.get_by_role("link", name="Frances Desk").click()

        row = admin_page.get_by_role("row").filter(has_text=patient.mrn)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("access")
        expect(row).to_contain_text("frances")
        expect(row).to_contain_text("127.0.0.1")
        screenshot(admin_page, "admin-audit-trail")
    finally:
        admin_context.close()


# --- Wrong role ------------------------------------------------------------------------------


def test_front_desk_opening_the_admin_is_refused(page, live_server, front_desk_user):
    log_in(page, live_server, front_desk_user)
    response = page.goto(f"{live_server.url}/admin/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="You don't have access to this page")).to_be_visible()


def test_clinic_admin_opening_the_patient_list_is_refused(page, live_server, admin_user):
    log_in(page, live_server, admin_user, device=give_authenticator(admin_user))
    response = page.goto(f"{live_server.url}/patients/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="You don't have access to this page")).to_be_visible()


# --- Phone width ------------------------------------------------------------------------------


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]


def test_patient_pages_fit_a_phone_and_the_menu_opens_by_keyboard(
    phone_page, live_server, front_desk_user, patient
):
    page = phone_page
    log_in(page, live_server, front_desk_user)

    page.goto(f"{live_server.url}/patients/")
    expect(page.get_by_role("link", name="Rivera, Jane")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    # On a phone the list drops the mobile column, its header and its cells alike.
    recent = page.get_by_role("table", name="Recently registered patients")
    expect(recent.get_by_role("columnheader", name="Mobile")).to_be_hidden()
    jane = recent.get_by_role("row").filter(has_text="Rivera, Jane")
    # Name, MRN and date of birth: the mobile's cell is hidden, so out of the accessible rows.
    expect(jane.get_by_role("cell")).to_have_count(3)
    expect(jane.get_by_role("cell").nth(2)).to_be_visible()

    nav = main_nav(page)
    toggle = nav.get_by_role("button", name="Toggle navigation")
    register_link = nav.get_by_role("link", name="Register patient")
    expect(toggle).to_be_visible()
    expect(register_link).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(register_link).to_be_visible()
    # The menu slides open: wait for its last item to be fully shown before the picture.
    expect(nav.get_by_role("button", name="Sign out")).to_be_in_viewport(ratio=1)
    screenshot(page, "phone-patients-menu-open")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(register_link).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    page.get_by_role("button", name="Register patient").click()  # empty: errors everywhere
    expect(page.get_by_role("alert").first).to_be_visible()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "phone-register-with-errors")
