"""The end-of-day blind count, the discrepancies it opens and how a clinician resolves them,
DEA Form 106, and the clinicians' home panels about them (issue 25)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.treatments.ledger import stocked
from treatments import ledger_rules
from treatments.models import Discrepancy, DiscrepancyResolution, LedgerEntry, StockCount
from treatments.services import ledger
from treatments.services.ledger.witness import Witness

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
LIST_URL = reverse("treatments:ledger_counts")
NEW_DAILY = f"{reverse('treatments:ledger_count_new')}?kind=daily"
HOME = reverse("home")


@pytest.fixture
def shelf(clinician_user, second_clinician_user):
    """Two ketamine vials (500 mg each) and an esketamine pack (2 devices); 62.5 mg of K-001
    disposed of (witnessed), so the ledger expects 437.5 mg in it: a figure found nowhere else."""
    vials = stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-001", "K-002"))
    [pack] = stocked(
        by=clinician_user, checked_by=second_clinician_user, product="esketamine", labels=("E-001",)
    )
    ledger.container_dispose(
        by=clinician_user,
        container=vials[0],
        quantity=Decimal("62.5"),
        method=LedgerEntry.Method.BREAKAGE,
        reason="Dropped while drawing",
        witness=Witness(user=second_clinician_user, confirmed_at=timezone.now()),
    )
    return {"K-001": vials[0], "K-002": vials[1], "E-001": pack}


def _field(container) -> str:
    return f"container_{container.pk}"


def _counted(shelf, **overrides) -> dict:
    """What the ledger expects, each container, unless overridden ("K-001": "430")."""
    values = {"K-001": "437.5", "K-002": "500", "E-001": "2"}
    values.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return {_field(shelf[label]): value for label, value in values.items()}


def _short_count(by, shelf) -> Discrepancy:
    """A daily count 20 mg short in K-001."""
    ledger.count_record(
        by=by,
        kind=StockCount.Kind.DAILY,
        counted={
            shelf["K-001"].pk: Decimal("417.5"),
            shelf["K-002"].pk: Decimal("500"),
            shelf["E-001"].pk: Decimal("2"),
        },
    )
    return Discrepancy.objects.get()


# --- The blind count ----------------------------------------------------------------------------


def test_the_count_form_lists_every_container_without_the_expected_figure(clinician, shelf):
    response = clinician.get(NEW_DAILY)

    assert response.status_code == 200
    page = response.content.decode()
    assert "End-of-day count" in page
    for label, container in shelf.items():
        assert label in page
        assert container.lot in page
        assert f'for="id_{_field(container)}"' in page  # each input has its label
    assert "K-001: mg on the shelf" in page
    assert "E-001: devices on the shelf" in page
    assert "Double-locked cabinet, room 2" in page
    assert "437.5" not in page and "437,5" not in page  # the ledger's figure is not given away
    assert "opening of business" not in page.lower()  # a daily count asks no business time


def test_a_matching_count_opens_no_discrepancy(clinician, clinician_user, shelf):
    response = clinician.post(NEW_DAILY, _counted(shelf), follow=True)

    count = StockCount.objects.get()
    assert response.redirect_chain[-1][0] == reverse("treatments:ledger_count", args=[count.pk])
    page = response.content.decode()
    assert "Count matches the ledger" in page
    assert count.kind == StockCount.Kind.DAILY and count.counted_by == clinician_user
    assert not Discrepancy.objects.exists()
    # The figures are revealed once the count is recorded.
    assert "437.5" in page and "Matches" in page
    assert count.entries.filter(kind=LedgerEntry.Kind.COUNT).count() == 3


def test_a_short_count_opens_a_discrepancy_that_is_urgent_on_the_home_page_until_resolved(
    clinician, shelf
):
    response = clinician.post(NEW_DAILY, _counted(shelf, K_001="417.5", E_001="1"), follow=True)

    page = response.content.decode()
    assert "2 differences: each is a discrepancy to resolve" in page
    short = Discrepancy.objects.get(container=shelf["K-001"])
    assert (short.expected, short.counted, short.difference) == (
        Decimal("437.5"),
        Decimal("417.5"),
        Decimal("-20"),
    )
    detail = reverse("treatments:ledger_discrepancy", args=[short.pk])
    assert detail in page

    home = clinician.get(HOME).content.decode()
    panel = _panel(home, "Controlled-substance discrepancies")
    assert "border-danger" in panel and "Needs action now" in panel
    assert f'<a href="{detail}">-20 mg</a>' in panel
    assert "K-001" in panel and "-1 device" in panel

    for discrepancy in Discrepancy.objects.all():
        clinician.post(
            reverse("treatments:ledger_discrepancy", args=[discrepancy.pk]),
            {"outcome": "counting_error", "explanation": "Recounted with a second clinician."},
        )
    assert "Controlled-substance discrepancies" not in clinician.get(HOME).content.decode()


def test_a_refused_count_keeps_what_was_typed_and_says_why_beside_the_field(clinician, shelf):
    values = _counted(shelf, K_002="-3")
    values[_field(shelf["E-001"])] = ""

    response = clinician.post(f"{reverse('treatments:ledger_count_new')}?kind=biennial", values)

    assert response.status_code == 200
    page = response.content.decode()
    assert not StockCount.objects.exists()
    assert 'value="437.5"' in page  # kept
    assert 'value="-3"' in page
    assert "Enter what is in E-001." in page
    assert "greater than or equal to 0" in page
    assert "Say whether the inventory is taken at the opening or the close of business." in page
    # The business question is a radio group under a legend.
    assert "<legend" in page and "Close of business" in page


def test_the_list_shows_counts_newest_first_with_their_differences(
    clinician, clinician_user, shelf
):
    _short_count(clinician_user, shelf)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        clinician.post(NEW_DAILY, _counted(shelf, K_001="417.5"))

    page = clinician.get(LIST_URL).content.decode()

    newer, older = StockCount.objects.order_by("-counted_at")
    newer_url = reverse("treatments:ledger_count", args=[newer.pk])
    older_url = reverse("treatments:ledger_count", args=[older.pk])
    assert page.index(newer_url) < page.index(older_url)
    assert "New end-of-day count" in page and "New biennial inventory" in page
    assert "Casey Carter" in page


# --- Resolving a discrepancy --------------------------------------------------------------------


def test_the_discrepancy_page_shows_the_figures_and_the_resolve_form(
    clinician, clinician_user, shelf
):
    discrepancy = _short_count(clinician_user, shelf)

    page = clinician.get(reverse("treatments:ledger_discrepancy", args=[discrepancy.pk])).content
    page = page.decode()

    assert "437.5 mg" in page and "417.5 mg" in page and "-20 mg" in page
    assert "<legend" in page and "What explains the difference?" in page
    assert "Type of loss (DEA Form 106)" in page
    assert "Were the police notified?" in page


def test_a_loss_writes_a_loss_entry_and_the_balance_is_what_was_counted(
    clinician, clinician_user, shelf
):
    discrepancy = _short_count(clinician_user, shelf)
    url = reverse("treatments:ledger_discrepancy", args=[discrepancy.pk])

    response = clinician.post(
        url,
        {
            "outcome": "theft",
            "explanation": "Vial found tampered with, cap resealed.",
            "loss_type": "employee_pilferage",
            "discovered_on": timezone.localdate().isoformat(),
            "police_notified": "yes",
            "police_department": "Austin Police Department",
            "police_report_number": "APD-2026-0042",
            "corrective_measures": "Cabinet keys re-issued; two-person access.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("treatments:ledger_form_106", args=[discrepancy.pk])
    resolution = DiscrepancyResolution.objects.get()
    loss = resolution.correcting_entry
    assert loss.kind == LedgerEntry.Kind.LOSS and loss.quantity == Decimal("-20")
    assert ledger.container_balances([shelf["K-001"].pk])[shelf["K-001"].pk] == Decimal("417.5")
    assert resolution.police_notified is True
    # Resolved: read-only, no second resolution.
    page = clinician.get(url).content.decode()
    assert "Resolved" in page and "Employee pilferage" in page
    assert "Resolve the discrepancy" not in page
    clinician.post(url, {"outcome": "counting_error", "explanation": "again"})
    assert DiscrepancyResolution.objects.count() == 1


def test_a_loss_without_the_form_106_fields_is_refused_beside_them(
    clinician, clinician_user, shelf
):
    discrepancy = _short_count(clinician_user, shelf)

    response = clinician.post(
        reverse("treatments:ledger_discrepancy", args=[discrepancy.pk]),
        {"outcome": "loss", "explanation": "Not found anywhere."},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose the type of loss (DEA Form 106)." in page
    assert "Enter the date the loss was discovered." in page
    assert "Not found anywhere." in page  # kept
    assert not DiscrepancyResolution.objects.exists()


def test_a_recording_error_names_a_reversing_entry_of_the_container(
    clinician, clinician_user, shelf
):
    discrepancy = _short_count(clinician_user, shelf)
    disposal = LedgerEntry.objects.get(kind=LedgerEntry.Kind.DISPOSAL)
    # The disposal was keyed wrong: reversing it makes the ledger 500; a second disposal of
    # the real 82.5 mg would follow in practice. Here: the reversal is what the form offers.
    reversal = ledger.entry_reverse(by=clinician_user, entry=disposal, reason="Keyed twice")
    url = reverse("treatments:ledger_discrepancy", args=[discrepancy.pk])

    page = clinician.get(url).content.decode()
    assert f"Entry {reversal.sequence} on " in page
    assert f"reverses entry {disposal.sequence} (disposed of)" in page

    clinician.post(
        url,
        {
            "outcome": "recording_error",
            "explanation": "The breakage was entered twice.",
            "correcting_entry": str(reversal.pk),
        },
    )
    assert DiscrepancyResolution.objects.get().correcting_entry == reversal


# --- DEA Form 106 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discovered", "due"),
    [
        (date(2026, 11, 20), date(2026, 11, 23)),  # Friday -> Monday
        (date(2026, 11, 21), date(2026, 11, 23)),  # Saturday -> Monday
        (date(2026, 11, 22), date(2026, 11, 23)),  # Sunday -> Monday
        (date(2026, 11, 23), date(2026, 11, 24)),  # Monday -> Tuesday
        (date(2026, 12, 31), date(2027, 1, 1)),  # Thursday -> Friday (holidays not skipped)
    ],
)
def test_the_dea_notice_is_due_the_next_business_day(discovered, due):
    assert ledger_rules.dea_notice_due(discovered) == due


def test_form_106_shows_what_the_form_asks_and_the_business_day_deadline(
    clinician, clinician_user, shelf
):
    friday = date(2026, 11, 20)
    with time_machine.travel(datetime(2026, 11, 20, 17, 30, tzinfo=CHICAGO), tick=False):
        discrepancy = _short_count(clinician_user, shelf)
        ledger.discrepancy_resolve(
            by=clinician_user,
            discrepancy=discrepancy,
            outcome="loss",
            explanation="Vial missing from the cabinet.",
            loss_type="other",
            discovered_on=friday,
            police_notified=False,
            corrective_measures="Count at every shift change.",
        )
        page = clinician.get(reverse("treatments:ledger_form_106", args=[discrepancy.pk]))
    page = page.content.decode()

    assert (
        "Written notice to the DEA field office is due within one business day of discovery: "
        "by Monday, 11/23/2026" in page
    )
    assert "https://apps.deadiversion.usdoj.gov/" in page
    assert "Then complete DEA Form 106 within 45 days of discovery (by 01/04/2027)" in page
    for expected in (
        "Lone Star Ketamine Clinic",
        "1200 Congress Avenue",
        "FK1234563",
        "11/20/2026",  # discovered
        "Other",  # type of loss
        "Ketamine HCl injection 50 mg/mL, 10 mL multi-dose vial",
        "0143-9508-10",
        "50 mg/mL, injection, solution",
        "20 mg (0.4 mL)",
        "Count at every shift change.",
        "Thefts or losses in the past 24 months (before this one)",
        "data-print",
        "print.css",
    ):
        assert expected in page, expected


def test_form_106_counts_the_losses_of_the_past_24_months(clinician, clinician_user, shelf):
    for days_ago in (800, 300, 0):  # the first is more than 24 months back
        with time_machine.travel(timezone.now() - timedelta(days=days_ago)):
            discrepancy = _short_count_of(clinician_user, shelf["K-002"])
            ledger.discrepancy_resolve(
                by=clinician_user,
                discrepancy=discrepancy,
                outcome="loss",
                explanation="Short.",
                loss_type="other",
                discovered_on=timezone.localdate(),
            )

    page = clinician.get(reverse("treatments:ledger_form_106", args=[discrepancy.pk]))

    assert page.context["losses_before"] == 1


def _short_count_of(by, container) -> Discrepancy:
    """A count of every container as the ledger has it, ``container`` 1 mg short."""
    balances = ledger.container_balances(c.pk for c in ledger.containers_to_count())
    balances[container.pk] -= 1
    count = ledger.count_record(by=by, kind=StockCount.Kind.DAILY, counted=balances)
    return Discrepancy.objects.get(count_entry__count=count)


def test_form_106_is_only_for_a_loss_or_theft(clinician, clinician_user, shelf):
    discrepancy = _short_count(clinician_user, shelf)
    url = reverse("treatments:ledger_form_106", args=[discrepancy.pk])
    assert clinician.get(url).status_code == 404
    ledger.discrepancy_resolve(
        by=clinician_user,
        discrepancy=discrepancy,
        outcome="counting_error",
        explanation="Recount matched.",
    )
    assert clinician.get(url).status_code == 404


# --- The end-of-day count on the home page ------------------------------------------------------

MONDAY_EVENING = datetime(2026, 11, 23, 17, 0, tzinfo=CHICAGO)
SUNDAY = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)  # closed (the default opening hours)


def test_the_home_page_asks_for_todays_count_until_it_is_done(clinician, clinician_user, shelf):
    with time_machine.travel(MONDAY_EVENING, tick=False):
        panel = _panel(clinician.get(HOME).content.decode(), "End-of-day count")
        assert "Today&#x27;s controlled-substance count is not done yet" in panel
        assert f'href="{NEW_DAILY}"' in panel

        ledger.count_record(
            by=clinician_user,
            kind=StockCount.Kind.DAILY,
            counted=ledger.container_balances(c.pk for c in shelf.values()),
        )
        assert "End-of-day count" not in clinician.get(HOME).content.decode()


def test_no_count_is_asked_on_a_closed_day_without_stock_or_when_the_setting_is_off(
    clinician, clinician_user, second_clinician_user
):
    with time_machine.travel(MONDAY_EVENING, tick=False):
        assert "End-of-day count" not in clinician.get(HOME).content.decode()  # no stock
        stocked(by=clinician_user, checked_by=second_clinician_user)
        assert "End-of-day count" in clinician.get(HOME).content.decode()
        with override_settings(CLINIC_LEDGER_DAILY_COUNT=False):
            assert "End-of-day count" not in clinician.get(HOME).content.decode()
    with time_machine.travel(SUNDAY, tick=False):
        assert "End-of-day count" not in clinician.get(HOME).content.decode()


def test_the_front_desk_home_shows_neither_panel(front_desk, clinician_user, shelf):
    _short_count(clinician_user, shelf)
    with time_machine.travel(MONDAY_EVENING, tick=False):
        page = front_desk.get(HOME).content.decode()
    assert "Controlled-substance discrepancies" not in page
    assert "End-of-day count" not in page


def _panel(page: str, title: str) -> str:
    """The home panel titled ``title`` (its card's HTML)."""
    heading = page.index(f">{title}</h2>")
    start = page.rindex("<section", 0, heading)
    return page[start : page.index("</section>", heading)]


# --- Who may do what ----------------------------------------------------------------------------


def test_the_front_desk_is_refused_every_page(front_desk, clinician_user, shelf):
    discrepancy = _short_count(clinician_user, shelf)
    count = StockCount.objects.get()
    urls = [
        LIST_URL,
        NEW_DAILY,
        reverse("treatments:ledger_count", args=[count.pk]),
        reverse("treatments:ledger_count_csv", args=[count.pk]),
        reverse("treatments:ledger_discrepancy", args=[discrepancy.pk]),
        reverse("treatments:ledger_form_106", args=[discrepancy.pk]),
    ]
    for url in urls:
        assert front_desk.get(url).status_code == 403, url
    assert front_desk.post(NEW_DAILY, _counted(shelf)).status_code == 403
    assert StockCount.objects.count() == 1


def test_the_admin_cannot_count_nor_see_a_daily_count_or_a_discrepancy(
    clinic_admin, clinician_user, shelf
):
    discrepancy = _short_count(clinician_user, shelf)
    count = StockCount.objects.get()

    assert clinic_admin.get(NEW_DAILY).status_code == 403
    assert clinic_admin.post(NEW_DAILY, _counted(shelf)).status_code == 403
    assert StockCount.objects.count() == 1
    assert clinic_admin.get(reverse("treatments:ledger_count", args=[count.pk])).status_code == 404
    assert (
        clinic_admin.get(
            reverse("treatments:ledger_discrepancy", args=[discrepancy.pk])
        ).status_code
        == 403
    )
    assert "New end-of-day count" not in clinic_admin.get(LIST_URL).content.decode()


# --- What the pages cost ------------------------------------------------------------------------


def _more_stock(by, checked_by, start: int, how_many: int) -> None:
    labels = tuple(f"K-{index:03}" for index in range(start, start + how_many))
    stocked(by=by, checked_by=checked_by, labels=labels, invoice_number=f"INV-{start}")


@pytest.mark.parametrize("how_many", [1, 6])
def test_the_count_form_costs_the_same_however_many_containers(
    clinician, clinician_user, second_clinician_user, django_assert_num_queries, how_many
):
    _more_stock(clinician_user, second_clinician_user, 100, how_many)
    clinician.get(NEW_DAILY)  # warm-up

    # session, user, TOTP device, roles; the registration; the containers on the shelf (the
    # stock on hand's rows, with their balances)
    with django_assert_num_queries(6):
        response = clinician.get(NEW_DAILY)
    assert response.content.decode().count("mg on the shelf") == how_many


@pytest.mark.parametrize("how_many", [1, 6])
def test_the_count_list_and_a_count_cost_the_same_however_many(
    clinician, clinician_user, second_clinician_user, django_assert_num_queries, how_many
):
    _more_stock(clinician_user, second_clinician_user, 100, how_many)
    for _ in range(how_many):
        balances = ledger.container_balances(c.pk for c in ledger.containers_to_count())
        balances[next(iter(balances))] -= 1  # one difference each time
        ledger.count_record(by=clinician_user, kind=StockCount.Kind.DAILY, counted=balances)
    latest = StockCount.objects.first()
    clinician.get(LIST_URL)  # warm-up

    # session, user, TOTP device, roles; the counts (with their differences); their total
    with django_assert_num_queries(6):
        page = clinician.get(LIST_URL).content.decode()
    assert page.count(">Open<span") == how_many

    detail = reverse("treatments:ledger_count", args=[latest.pk])
    # session, user, TOTP device, roles; the count; its entries with their discrepancies
    with django_assert_num_queries(6):
        page = clinician.get(detail).content.decode()
    assert page.count("Open: resolve it") == 1
    assert page.count("Matches") == how_many - 1
