"""Medication classes that matter for ketamine treatment.

Benzodiazepines and lamotrigine blunt ketamine's effect; MAOIs, stimulants, opioids and other
sedatives raise risk (several are on the esketamine REMS monitoring form). Matching is on
generic and common US brand names, whole words, case-insensitive.
"""

import re
from dataclasses import dataclass

MEDICATION_CLASSES: dict[str, tuple[str, ...]] = {
    "Benzodiazepine": (
        "alprazolam", "xanax", "clonazepam", "klonopin", "lorazepam", "ativan", "diazepam",
        "valium", "temazepam", "restoril", "chlordiazepoxide", "librium", "oxazepam",
        "clorazepate", "tranxene", "triazolam", "halcion", "midazolam",
    ),
    "Lamotrigine": ("lamotrigine", "lamictal"),
    "MAOI": (
        "phenelzine", "nardil", "tranylcypromine", "parnate", "isocarboxazid", "marplan",
        "selegiline", "emsam", "rasagiline", "azilect", "safinamide",
    ),
    "Stimulant": (
        "amphetamine", "adderall", "dextroamphetamine", "dexedrine", "lisdexamfetamine",
        "vyvanse", "methylphenidate", "ritalin", "concerta", "dexmethylphenidate", "focalin",
        "methamphetamine", "desoxyn", "modafinil", "provigil", "armodafinil", "nuvigil",
    ),
    "Opioid": (
        "oxycodone", "oxycontin", "percocet", "hydrocodone", "norco", "vicodin", "morphine",
        "codeine", "tramadol", "ultram", "fentanyl", "methadone", "buprenorphine", "suboxone",
        "hydromorphone", "dilaudid", "tapentadol", "oxymorphone",
    ),
    "Other sedative": (
        "zolpidem", "ambien", "eszopiclone", "lunesta", "zaleplon", "sonata", "suvorexant",
        "belsomra", "phenobarbital", "butalbital", "gabapentin", "neurontin", "pregabalin",
        "lyrica", "sodium oxybate", "xyrem", "quetiapine", "seroquel", "carisoprodol", "soma",
        "hydroxyzine", "diphenhydramine",
    ),
}  # fmt: skip

_PATTERNS = {
    cls: re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)
    for cls, names in MEDICATION_CLASSES.items()
}


@dataclass(frozen=True)
class MedicationFlag:
    medication: str
    drug_class: str
    matched: str


def classify_medication(name: str) -> list[str]:
    """The classes a medication name belongs to (usually none or one)."""
    return [cls for cls, pattern in _PATTERNS.items() if pattern.search(name or "")]


def flag_medications(names: list[str]) -> list[MedicationFlag]:
    flags = []
    for name in names:
        for cls, pattern in _PATTERNS.items():
            match = pattern.search(name or "")
            if match:
                flags.append(MedicationFlag(name, cls, match.group(0).lower()))
    return flags
