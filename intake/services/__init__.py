"""Every write to the patient record and the intake goes through these functions."""
