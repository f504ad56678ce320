"""A believable demo clinic: one user per role and about twenty patients. Idempotent."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK

DEMO_PASSWORD = "demo-clinic-2026"
DEMO_USERS = [
    ("frontdesk", "Maria", "Alvarez", FRONT_DESK),
    ("clinician", "Dr. Sam", "Okafor", CLINICIAN),
    ("admin", "Priya", "Raman", CLINIC_ADMIN),
]
FIRST_NAMES = [
    "Emily",
    "James",
    "Olivia",
    "Daniel",
    "Sophia",
    "Michael",
    "Ava",
    "David",
    "Isabella",
    "Joshua",
    "Mia",
    "Andrew",
    "Charlotte",
    "Christopher",
    "Amelia",
    "Matthew",
    "Harper",
    "Ethan",
    "Evelyn",
    "Benjamin",
]
LAST_NAMES = [
    "Nguyen",
    "Garcia",
    "Johnson",
    "Patel",
    "Williams",
    "Brown",
    "Martinez",
    "Davis",
    "Rodriguez",
    "Miller",
    "Wilson",
    "Anderson",
    "Thomas",
    "Hernandez",
    "Moore",
    "Jackson",
    "Lee",
    "Thompson",
    "White",
    "Lopez",
]
CITIES = ["Austin", "Round Rock", "Cedar Park", "Georgetown", "Pflugerville", "San Marcos"]


class Command(BaseCommand):
    help = "Create demo staff (one per role) and about 20 demo patients. Safe to run again."

    def handle(self, *args, **options):
        from intake.models import Patient
        from intake.services.patients import patient_record_measurement, patient_register

        with transaction.atomic():
            User = get_user_model()
            staff = {}
            for username, first, last, role in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@example.com",
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                user.is_staff = role == CLINIC_ADMIN
                user.save()
                user.groups.set([Group.objects.get(name=role)])
                staff[role] = user

            created_count = 0
            for index, (first, last) in enumerate(zip(FIRST_NAMES, LAST_NAMES, strict=True)):
                rng = random.Random(index)  # per patient, so a re-run draws the same values
                dob = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
                if Patient.objects.filter(
                    legal_first_name=first, legal_last_name=last, date_of_birth=dob
                ).exists():
                    continue
                patient = patient_register(
                    created_by=staff[FRONT_DESK],
                    details={
                        "legal_first_name": first,
                        "legal_last_name": last,
                        "preferred_name": "Liv" if first == "Olivia" else "",
                        "date_of_birth": dob,
                        "sex_at_birth": "female" if index % 2 == 0 else "male",
                        "email": f"{first.lower()}.{last.lower()}@example.com",
                        "mobile": f"+1512555{index:04d}",
                        "preferred_contact": "sms" if index % 3 else "email",
                        "consent_sms": index % 3 != 0,
                        "consent_email": True,
                        "address_line1": f"{100 + index * 7} Oak Street",
                        "city": rng.choice(CITIES),
                        "state": "TX",
                        "postal_code": f"78{700 + index:03d}",
                        "emergency_contact_name": f"{rng.choice(FIRST_NAMES)} {last}",
                        "emergency_contact_relationship": rng.choice(
                            ["Spouse", "Parent", "Sibling", "Friend"]
                        ),
                        "emergency_contact_phone": f"+1512556{index:04d}",
                    },
                    allow_duplicate=True,
                )
                patient_record_measurement(
                    patient=patient,
                    recorded_by=staff[FRONT_DESK],
                    weight_kg=Decimal(rng.randrange(550, 1100)) / 10,
                    height_cm=Decimal(rng.randrange(1550, 1950)) / 10,
                )
                created_count += 1

        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready: {created_count} new patients."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _, _, role in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role}")
