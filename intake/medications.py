"""Medication classes that matter for ketamine treatment.

Benzodiazepines and lamotrigine blunt ketamine's effect; MAOIs, stimulants, opioids and other
sedatives raise risk (several are on the esketamine REMS monitoring form). Matching is on
generic and common US brand names, whole words, case-insensitive.
"""

import re
from dataclasses import dataclass

MEDICATION_CLASSES: dict[str, tuple[str, ...]] = {
    # Every benzodiazepine marketed in the US, generic then brands.
    "Benzodiazepine": (
        "alprazolam", "xanax", "niravam",
        "chlordiazepoxide", "librium", "librax", "limbitrol",
        "clobazam", "onfi", "sympazan",
        "clonazepam", "klonopin",
        "clorazepate", "tranxene",
        "diazepam", "valium", "diastat", "valtoco",
        "estazolam", "prosom",
        "flurazepam", "dalmane",
        "lorazepam", "ativan", "loreev",
        "midazolam", "versed", "nayzilam", "seizalam",
        "oxazepam", "serax",
        "quazepam", "doral",
        "remimazolam", "byfavo",
        "temazepam", "restoril",
        "triazolam", "halcion",
    ),
    "Lamotrigine": ("lamotrigine", "lamictal", "subvenite"),
    # Monoamine oxidase inhibitors, including the drugs used for other purposes that inhibit it.
    "MAOI": (
        "phenelzine", "nardil",
        "tranylcypromine", "parnate",
        "isocarboxazid", "marplan",
        "selegiline", "emsam", "eldepryl", "zelapar",
        "rasagiline", "azilect",
        "safinamide", "xadago",
        "moclobemide", "manerix",
        "linezolid", "zyvox",
        "methylene blue", "provayblue",
        "procarbazine", "matulane",
    ),
    "Stimulant": (
        "amphetamine", "adzenys", "evekeo", "dyanavel",
        "adderall", "mydayis",
        "dextroamphetamine", "dexedrine", "zenzedi", "procentra", "xelstrym",
        "lisdexamfetamine", "vyvanse",
        "methylphenidate", "ritalin", "concerta", "metadate", "methylin", "daytrana",
        "quillivant", "quillichew", "cotempla", "aptensio", "jornay", "relexxii", "adhansia",
        "dexmethylphenidate", "focalin",
        "serdexmethylphenidate", "azstarys",
        "methamphetamine", "desoxyn",
        "modafinil", "provigil",
        "armodafinil", "nuvigil",
        "solriamfetol", "sunosi",
        "phentermine", "adipex", "lomaira", "qsymia",
    ),
    "Opioid": (
        "oxycodone", "oxycontin", "roxicodone", "xtampza", "percocet", "endocet", "roxicet",
        "percodan",
        "hydrocodone", "norco", "vicodin", "lortab", "hysingla", "zohydro",
        "morphine", "ms contin", "kadian",
        "codeine",
        "tramadol", "ultram", "conzip",
        "fentanyl", "duragesic", "actiq",
        "methadone", "dolophine", "methadose",
        "buprenorphine", "suboxone", "subutex", "zubsolv", "sublocade", "butrans", "belbuca",
        "hydromorphone", "dilaudid", "exalgo",
        "tapentadol", "nucynta",
        "oxymorphone", "opana",
        "meperidine", "demerol",
        "levorphanol",
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
