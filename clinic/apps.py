from django.apps import AppConfig, apps
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


def _resync_role_groups(sender, app_config=None, using="default", **kwargs) -> None:
    # The roles are made by data migrations; a database flush (the test runner's, or
    # `manage.py flush`) empties them and then sends post_migrate, so make them again here.
    # Imported here: role_sync reaches the auth models, not loaded when this module is.
    from .role_sync import sync_role_groups

    # Sent once per app with models; the clinic app has none, so hook onto auth's.
    if app_config is not None and app_config.label == "auth":
        sync_role_groups(apps, None)


class ClinicConfig(AppConfig):
    default = True
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        # Imported in ready(), once the models are loaded (Django's place for start-up wiring).
        from auditlog.registry import auditlog

        from . import checks  # noqa: F401 - registers the system checks
        from .models import Location, StaffLocation

        auditlog.register(Location)
        auditlog.register(StaffLocation)

        post_migrate.connect(_resync_role_groups, dispatch_uid="clinic-resync-role-groups")


class ClinicAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "clinic.admin_site.ClinicAdminSite"
