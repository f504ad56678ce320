"""Finding a patient at the front desk: by name, MRN, date of birth or phone, without putting
any of it in a URL; and the list and search pages cost the same however many patients exist."""

import random
import re
from datetime import date

import phonenumbers
import pytest
from django.urls import reverse

from intake.models import Patient
from intake.selectors import national_phone
from tests.factories import PatientFactory

LIST_URL = reverse("intake:patient_list")
RESULT_MRN = re.compile(r"<td[^>]*>(KC-[0-9A-Z]{7})</td>")


@pytest.fixture
def patients(patient):
    """Jane Rivera (from the shared fixture) and people whose details resemble hers."""
    Patient.objects.filter(pk=patient.pk).update(
        mrn="KC-7WX3M9P",
        date_of_birth=date(1985, 4, 23),
        mobile="+15125550143",
        preferred_name="JJ",
    )
    patient.refresh_from_db()
    return {
        "jane": patient,
        "janet": PatientFactory(
            legal_first_name="Janet",
            legal_last_name="Riverside",
            date_of_birth=date(1985, 4, 24),
            mobile="+15125550144",
        ),
        "jose": PatientFactory(
            legal_first_name="Jose",
            legal_last_name="Rivera",
            date_of_birth=date(1979, 11, 2),
            mobile="+15125550150",
        ),
        "omar": PatientFactory(
            legal_first_name="Omar",
            legal_last_name="Haddad",
            date_of_birth=date(1985, 4, 23),
            mobile="+17375550199",
        ),
    }


def search(client, query: str):
    response = client.post(LIST_URL, {"q": query})
    assert response.status_code == 200
    return response


def found(response) -> set[str]:
    return set(RESULT_MRN.findall(response.content.decode()))


def mrns(patients: dict, *names: str) -> set[str]:
    return {patients[name].mrn for name in names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("riv", ["jane", "janet", "jose"]),
        ("Rivera", ["jane", "jose"]),
        ("RIVERA", ["jane", "jose"]),
        ("  rivera  ", ["jane", "jose"]),
        ("Jane Rivera", ["jane"]),
        ("jane rivera", ["jane"]),
        ("Rivera, Jane", ["jane"]),
        ("rivera,jane", ["jane"]),
        ("Jo Riv", ["jose"]),
        ("JJ", ["jane"]),  # the preferred name
        ("Haddad", ["omar"]),
    ],
)
def test_search_by_name(front_desk, patients, query, expected):
    assert found(search(front_desk, query)) == mrns(patients, *expected)


@pytest.mark.parametrize("query", ["KC-7WX3M9P", "kc-7wx3m9p", "KC7WX3M9P", "kc7wx3m9p"])
def test_search_by_mrn(front_desk, patients, query):
    assert found(search(front_desk, query)) == mrns(patients, "jane")


@pytest.mark.parametrize("query", ["1985-04-23", "04/23/1985", "4/23/1985"])
def test_search_by_date_of_birth(front_desk, patients, query):
    assert found(search(front_desk, query)) == mrns(patients, "jane", "omar")


@pytest.mark.parametrize(
    "query", ["(512) 555-0143", "512-555-0143", "512.555.0143", "5125550143", "+15125550143"]
)
def test_search_by_phone(front_desk, patients, query):
    assert found(search(front_desk, query)) == mrns(patients, "jane")


def test_a_clinician_searches_too(clinician, patients):
    assert found(search(clinician, "Haddad")) == mrns(patients, "omar")


@pytest.mark.parametrize("query", ["Zimmerman", "KC-ZZZZZZZ", "1901-01-01", "(512) 555-0999"])
def test_no_match_says_so(front_desk, patients, query):
    response = search(front_desk, query)

    assert found(response) == set()
    text = response.content.decode()
    assert "0 matches" in text
    assert "No patient matches that search." in text


def test_search_results_link_to_the_summary(front_desk, patients):
    jane = patients["jane"]

    text = search(front_desk, "Rivera, Jane").content.decode()

    assert "1 match" in text
    assert f'href="{reverse("intake:patient_detail", args=[jane.pk])}"' in text
    assert "Rivera, Jane" in text
    assert "(JJ)" in text  # the preferred name beside the legal one
    assert "04/23/1985" in text
    assert "(512) 555-0143" in text  # the mobile, as people write it


def test_a_row_without_a_mobile_shows_a_dash_and_names_are_text(front_desk, db):
    PatientFactory(legal_first_name="<b>Al</b>", legal_last_name="O'Neil & Co", mobile="")

    text = search(front_desk, "O'Neil").content.decode()

    row = text[text.index("<tbody>") : text.index("</tbody>")]
    assert "O&#x27;Neil &amp; Co, &lt;b&gt;Al&lt;/b&gt;</a>" in row
    assert "<b>" not in row
    assert row.count("<tr>") == 1
    assert "<td>—</td></tr>" in row


def test_search_terms_never_go_in_the_url(front_desk, patients):
    page = front_desk.get(LIST_URL).content.decode()
    search_form = re.search(r'<form[^>]*role="search"[^>]*>', page).group(0)
    assert 'method="post"' in search_form
    assert f'action="{LIST_URL}"' in search_form

    # A search typed into the address bar is not run: the list of recent patients is shown.
    response = front_desk.get(LIST_URL, {"q": "Haddad"})
    assert "Recently registered" in response.content.decode()
    assert found(response) == mrns(patients, "jane", "janet", "jose", "omar")

    # The POSTed search answers in place: no redirect to a URL that carries the terms.
    response = front_desk.post(LIST_URL, {"q": "Haddad"})
    assert response.status_code == 200
    assert found(response) == mrns(patients, "omar")


def test_an_overlong_search_is_refused_politely(front_desk, patients):
    response = search(front_desk, "x" * 5000)

    assert "Ensure this value has at most 100 characters" in response.content.decode()
    assert "Recently registered" in response.content.decode()


def test_recent_patients_are_listed_newest_first(front_desk, patients):
    text = front_desk.get(LIST_URL).content.decode()

    order = RESULT_MRN.findall(text)
    assert order == [patients[name].mrn for name in ("omar", "jose", "janet", "jane")]


RESULT_NAME = re.compile(r'<td><a href="[^"]*">([^<]*)</a>')


def names_in_order(response) -> list[str]:
    body = response.content.decode()
    if "<tbody>" not in body:
        return []
    return RESULT_NAME.findall(body[body.index("<tbody>") : body.index("</tbody>")])


def test_results_are_in_alphabetical_order_whatever_the_case(front_desk, db):
    for last, first, preferred in [
        ("Dean", "Zoe", ""),
        ("Zimmer", "Dana", ""),  # found by the first name
        ("DEAN", "adam", ""),
        ("Abbott", "Margaret", "Dee"),  # found by the preferred name
        ("de la Cruz", "Ana", ""),
        ("Davis", "Dana", ""),
        ("Moore", "Sam", ""),  # not a match
    ]:
        PatientFactory(legal_last_name=last, legal_first_name=first, preferred_name=preferred)

    response = search(front_desk, "d")

    # Last name, then first name, compared as capitals: "DE LA" before "DEAN", "ADAM" before
    # "ZOE" whichever way each was typed.
    assert names_in_order(response) == [
        "Abbott, Margaret",
        "Davis, Dana",
        "de la Cruz, Ana",
        "DEAN, adam",
        "Dean, Zoe",
        "Zimmer, Dana",
    ]


@pytest.fixture
def many_ri(db) -> list[Patient]:
    """Over a page of patients each way a name can start with "Ri": 60 by the last name, 60 by
    the first, 60 by the preferred name, some by two at once; and 20 not at all."""
    rng = random.Random(24)
    others = ["Adams", "Baker", "Nguyen", "Patel", "Young", "Zhang", "Lopez", "Moreno"]
    made = []
    for n in range(200):
        ri_last, ri_first, ri_preferred = (n % 4 == 0, n % 4 == 1, n % 4 == 2)
        if n % 10 == 3:
            ri_last = ri_first = True
        made.append(
            PatientFactory(
                legal_last_name=rng.choice(["Rivera", "Rios", "RIDLEY"] if ri_last else others),
                legal_first_name=rng.choice(["Rita", "Ricardo"] if ri_first else ["Ana", "Jo"]),
                preferred_name="Rico" if ri_preferred else rng.choice(["", "", "Sam"]),
            )
        )
    return made


@pytest.mark.parametrize("query", ["Ri", "ri jo", "Jo Ri", "Rivera Ri", "Ric, Rios"])
def test_a_full_page_is_the_first_fifty_of_all_that_match(front_desk, many_ri, query):
    words = [word.upper() for word in re.split(r"[\s,]+", query)]

    def matches(patient):
        parts = (patient.legal_last_name, patient.legal_first_name, patient.preferred_name)
        return all(any(part.upper().startswith(word) for part in parts) for word in words)

    expected = sorted(
        (p for p in many_ri if matches(p)),
        key=lambda p: (p.legal_last_name.upper(), p.legal_first_name.upper(), p.pk),
    )

    response = search(front_desk, query)

    assert RESULT_MRN.findall(response.content.decode()) == [p.mrn for p in expected[:50]]
    assert ("Showing the first 50 matches." in response.content.decode()) == (len(expected) > 50)


@pytest.mark.parametrize("query", ["%", "_", "R_vera", "Riv%a", "\\"])
def test_wildcards_in_a_search_are_plain_characters(front_desk, patients, query):
    PatientFactory(legal_last_name="R_vera", legal_first_name="Percent%")

    response = search(front_desk, query)

    expected = {"R_vera": {"R_vera, Percent%"}}.get(query, set())
    assert set(names_in_order(response)) == expected


# --- What the pages cost ----------------------------------------------------------------------
# Each request costs: session, user, TOTP device, the user's roles, then the page's own query.


@pytest.mark.parametrize("how_many", [3, 30])
def test_patient_list_query_count_is_constant(front_desk, django_assert_num_queries, how_many):
    PatientFactory.create_batch(how_many)
    front_desk.get(LIST_URL)  # warm-up: the session's first-request bookkeeping

    with django_assert_num_queries(5):
        response = front_desk.get(LIST_URL)

    assert len(RESULT_MRN.findall(response.content.decode())) == min(how_many, 20)


@pytest.mark.parametrize("how_many", [3, 30])
def test_search_results_query_count_is_constant(front_desk, django_assert_num_queries, how_many):
    PatientFactory.create_batch(how_many, legal_last_name="Rivera", preferred_name="JJ")
    front_desk.get(LIST_URL)

    with django_assert_num_queries(5):
        response = front_desk.post(LIST_URL, {"q": "rivera"})

    assert len(RESULT_MRN.findall(response.content.decode())) == how_many


def test_search_shows_at_most_fifty_and_says_so(front_desk):
    PatientFactory.create_batch(51, legal_last_name="Rivera")

    response = search(front_desk, "Rivera")

    assert len(found(response)) == 50
    assert "Showing the first 50 matches." in response.content.decode()


def test_phone_numbers_in_rows_are_written_as_libphonenumber_writes_them():
    numbers = ["+15125550004", "+18765550123", "+442079460958", "+61491570156", "+33612345678"]
    rng = random.Random(8)
    numbers += [f"+1{rng.randint(2_000_000_000, 9_999_999_999)}" for _ in range(500)]
    for e164 in numbers:
        expected = phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        assert national_phone(e164) == expected, e164
    assert national_phone("") == ""
