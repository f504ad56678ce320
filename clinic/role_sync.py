"""Data-migration helper: make the role groups and give each its permissions.

Called from a migration in each app that adds models to ``ROLE_PERMISSIONS``, so the groups
always match the code after ``migrate``.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes

from .roles import ROLE_PERMISSIONS


def sync_role_groups(apps, schema_editor) -> None:
    # Permissions are normally made after migrate finishes; make them now so we can grant them.
    historical = apps is not global_apps
    for app_config in apps.get_app_configs():
        if historical:  # a migration's app states have no models module; pretend they do
            app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        if historical:
            app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:  # an app whose migration has not run yet grants it later
                wanted.append(permission)
        group.permissions.set(wanted)
