"""Valid answers for each intake step, as a patient's browser would post them."""

from intake.questionnaire import SCREENING_QUESTIONS, TREATMENTS

ABOUT = {
    "email": "jane.rivera@example.com",
    "mobile": "(512) 555-0143",
    "address_line1": "12 Oak Street",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
    "emergency_contact_name": "Sam Rivera",
    "emergency_contact_relationship": "Spouse",
    "emergency_contact_phone": "(512) 555-0144",
    "height_feet": "5",
    "height_inches": "6",
    "weight_lb": "154",
}
HISTORY = {
    "diagnoses": ["gad", "depression"],
    "since_gad": "2015",
    "since_depression": "2018",
    "hospitalised": "no",
    **{f"treatment_{code}": "no_help" for code, _ in TREATMENTS},
    "treatment_ect_tms": "not_tried",
    "treatment_ketamine": "not_tried",
}
SYMPTOMS = {"symptoms": ["worry", "sleep"], "symptoms_details": "I can't stop worrying."}
MEDICAL = {**{f"screen_{code}": "no" for code, _ in SCREENING_QUESTIONS}, "allergies": "no"}
MEDICATIONS = {
    "meds-TOTAL_FORMS": "3",
    "meds-INITIAL_FORMS": "0",
    "meds-MIN_NUM_FORMS": "3",
    "meds-MAX_NUM_FORMS": "30",
    "meds-0-name": "Sertraline",
    "meds-0-dose": "100 mg",
    "meds-0-frequency": "once a day",
}
# GAD-7 all "More than half the days" (14, Moderate); PHQ-9 all "Several days" but item 9 0 (8).
QUESTIONNAIRES = {
    **{f"gad7_{n}": "2" for n in range(1, 8)},
    **{f"phq9_{n}": "1" for n in range(1, 9)},
    "phq9_9": "0",
    "phq9_difficulty": "somewhat",
}


def consent_for(patient) -> dict:
    return {"agree_treatment": "on", "agree_privacy": "on", "signature": patient.full_name}


def steps_for(patient) -> list[tuple[str, dict]]:
    return [
        ("about", ABOUT),
        ("history", HISTORY),
        ("symptoms", SYMPTOMS),
        ("medical", MEDICAL),
        ("medications", MEDICATIONS),
        ("questionnaires", QUESTIONNAIRES),
        ("consent", consent_for(patient)),
    ]
