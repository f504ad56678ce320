from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from intake.models import Patient


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted == "Clinic admin":
                self.is_staff = True
        if create:
            self.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    legal_first_name = factory.Faker("first_name")
    legal_last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=date(1950, 1, 1), end_date=date(2004, 12, 31)
    )
    sex_at_birth = "female"
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    mobile = factory.Sequence(lambda n: f"+1512555{n % 10000:04d}")
    preferred_contact = "sms"
    consent_sms = True
    consent_email = True
    city = "Austin"
    state = "TX"
