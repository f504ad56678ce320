"""The interacting-medication table: every generic and brand name it lists is recognised in its
class alone, whatever the case, and whole words only; the benzodiazepines it once missed are
there with their brands."""

import pytest

from intake.medications import MEDICATION_CLASSES, classify_medication, flag_medications

ENTRIES = [(cls, name) for cls, names in MEDICATION_CLASSES.items() for name in names]


@pytest.mark.parametrize(("cls", "name"), ENTRIES, ids=[name for _, name in ENTRIES])
def test_each_entry_is_recognised_in_its_class_whatever_the_case(cls, name):
    for written in (name, name.upper(), name.title(), f"{name.title()} 10 mg at night"):
        assert classify_medication(written) == [cls], written


def test_no_name_is_listed_twice():
    names = [name for _, name in ENTRIES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("clobazam", "Benzodiazepine"),
        ("Onfi", "Benzodiazepine"),
        ("Sympazan", "Benzodiazepine"),
        ("estazolam", "Benzodiazepine"),
        ("ProSom", "Benzodiazepine"),
        ("flurazepam", "Benzodiazepine"),
        ("Dalmane", "Benzodiazepine"),
        ("quazepam", "Benzodiazepine"),
        ("Doral", "Benzodiazepine"),
        ("Lamictal XR", "Lamotrigine"),
        ("Emsam patch", "MAOI"),
        ("Adderall XR", "Stimulant"),
        ("MS Contin", "Opioid"),
        ("Tylenol with codeine", "Opioid"),
    ],
)
def test_names_a_patient_writes_are_flagged(name, cls):
    assert classify_medication(name) == [cls]


@pytest.mark.parametrize(
    "name", ["Sertraline", "vitamin D", "Valiumish", "prosomnia", "lamictalish", "ibuprofen"]
)
def test_other_medications_and_parts_of_words_are_not_flagged(name):
    assert classify_medication(name) == []


@pytest.mark.parametrize(
    "cls", ["Benzodiazepine", "Lamotrigine", "MAOI", "Stimulant", "Opioid", "Other sedative"]
)
def test_every_class_the_screening_names_is_in_the_table(cls):
    assert MEDICATION_CLASSES[cls]


def test_each_flag_names_the_medication_as_written_and_the_name_matched():
    flags = flag_medications(["Onfi 10 mg", "sertraline", "ESTAZOLAM 1 mg"])

    assert [(f.medication, f.drug_class, f.matched) for f in flags] == [
        ("Onfi 10 mg", "Benzodiazepine", "onfi"),
        ("ESTAZOLAM 1 mg", "Benzodiazepine", "estazolam"),
    ]
