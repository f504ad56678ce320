from .inquiries import ConsultationRequest, InquiryConcern, ReferralSource
from .patients import (
    MRN_ALPHABET,
    MRN_LENGTH,
    MRN_PREFIX,
    ContactChannel,
    Patient,
    PatientLocation,
    PatientMeasurement,
    SexAtBirth,
    generate_mrn,
)
from .questionnaires import (
    Assessment,
    ClinicalAlert,
    ConsentSignature,
    Intake,
    IntakeAmendment,
    IntakeLink,
    PatientLink,
)

__all__ = [
    "MRN_ALPHABET",
    "MRN_LENGTH",
    "MRN_PREFIX",
    "Assessment",
    "ClinicalAlert",
    "ConsentSignature",
    "ConsultationRequest",
    "ContactChannel",
    "InquiryConcern",
    "Intake",
    "IntakeAmendment",
    "IntakeLink",
    "Patient",
    "PatientLink",
    "PatientLocation",
    "PatientMeasurement",
    "ReferralSource",
    "SexAtBirth",
    "generate_mrn",
]
