"""The consent and privacy texts patients sign. Each change gets a new version: a signature
stores the version and the exact text that was shown."""

import hashlib

CONSENT_VERSION = "2026-11-treatment-v1"
PRIVACY_VERSION = "2026-11-privacy-v1"

CONSENT_TO_TREATMENT = """\
Consent to ketamine treatment

I understand that ketamine is approved by the FDA as an anaesthetic, and that its use for \
anxiety, depression and PTSD is "off-label". Intranasal esketamine (Spravato) is approved for \
treatment-resistant depression.

I understand that during and after treatment I may feel dissociation (feeling detached from my \
body or surroundings), have hallucinations or vivid dreams, and feel dizzy, nauseous or \
drowsy. My blood pressure may rise for a while. These effects usually pass within one to two \
hours.

I agree to be monitored by clinic staff during each session and to stay at the clinic for \
observation afterwards until a clinician says I am ready to leave.

I will not drive, operate machinery or make important decisions until the next day. An adult \
must take me home after every session.

I understand that I may stop treatment at any time, and that the clinic may stop it if it \
becomes unsafe for me. I have had the chance to ask questions about the treatment, its risks \
and its alternatives.
"""

PRIVACY_NOTICE = """\
Privacy notice

The clinic keeps your health information to treat you, to arrange and be paid for your care, \
and as the law requires. Only staff who need it for your care can see it, and every view of \
your record is logged. We send you appointment reminders and short surveys by text message or \
email if you agree; messages contain a link, never details of your health. You may ask for a \
copy of your record, ask us to correct it, and ask who has seen it.
"""


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
