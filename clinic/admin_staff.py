"""The admin's pages for staff accounts and their authenticators.

A clinic admin creates staff, gives them the three roles, resets a password, removes an
authenticator and deactivates an account; each of these goes through its function in
``clinic.staff``, which holds the rules (who may change whom, what ``is_staff`` follows) and
writes the audit row. These pages only decide what a form shows to whom: a field a clinic admin
may not set is not in their form, so a crafted POST naming it changes nothing.

django-otp's own device admin shows a device's key and QR code to anyone who may view devices;
this one shows neither to anybody (a device is enrolled by its owner at sign-in) and offers
removal only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html_join
from django.views.decorators.debug import sensitive_post_parameters

# django-otp's device admin registers itself when imported: import it first, then replace it.
from django_otp.plugins.otp_totp import admin as otp_totp_admin  # noqa: F401
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import staff
from .roles import ROLES

User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(TOTPDevice)


@admin.register(User)
class StaffAdmin(UserAdmin):
    """Staff who leave are deactivated, not deleted: the audit trail keeps naming them."""

    actions = None
    filter_horizontal = ()
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Roles", {"fields": ("groups",)}),
    )

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or staff.may_manage(request.user, obj))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        access = ["is_active", "groups", "is_staff", "is_superuser"]
        if request.user.is_superuser:
            access.append("user_permissions")
        return [
            (None, {"fields": ["username", "password"]}),
            ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
            ("Access", {"fields": access}),
            ("Authenticator apps", {"fields": ["authenticators"]}),
            ("Important dates", {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # is_staff follows the roles (clinic.staff); last_login and date_joined are history.
        readonly = ["is_staff", "authenticators", "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        if obj.pk == request.user.pk:
            # Nobody changes their own access: a second person does.
            readonly += ["is_active", "groups", "is_superuser", "user_permissions"]
        return list(dict.fromkeys(readonly))

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=ROLES).order_by("name")
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["label"] = "Roles"
            kwargs["help_text"] = "Admin access comes with the Clinic admin role."
        elif db_field.name == "user_permissions":
            queryset = kwargs.get("queryset", db_field.remote_field.model.objects)
            kwargs["queryset"] = queryset.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)

    @admin.display(description="Authenticator apps")
    def authenticators(self, user):
        devices = TOTPDevice.objects.filter(user=user).order_by("pk")
        if not devices:
            return "None yet: set up at their next sign-in."
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>{}',
            (
                (
                    reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
                    device.name,
                    "" if device.confirmed else " (not confirmed)",
                )
                for device in devices
            ),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            usable = data.get("set_usable_password", True)
            created = staff.staff_create(
                by=request.user,
                username=data["username"],
                password=data["password1"] if usable else None,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
                roles=[group.name for group in data.get("groups", [])],
            )
            # The admin goes on with the form's instance (its history entry, the redirect).
            obj.pk = created.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        # The form has already written its values onto ``obj``: the services compare the
        # stored account with the values asked for, so they start from a fresh copy.
        account = User.objects.get(pk=obj.pk)
        changed = set(form.changed_data)
        if changed & set(staff.DETAIL_FIELDS):
            staff.staff_details_set(
                by=request.user,
                user=account,
                **{
                    field: data.get(field, getattr(account, field)) for field in staff.DETAIL_FIELDS
                },
            )
        if "is_superuser" in changed or "user_permissions" in changed:
            staff.staff_privileges_set(
                by=request.user,
                user=account,
                is_superuser=data.get("is_superuser", account.is_superuser),
                permissions=data.get("user_permissions", account.user_permissions.all()),
            )
        if "groups" in changed:
            staff.staff_roles_set(
                by=request.user, user=account, roles=[group.name for group in data["groups"]]
            )
        if "is_active" in changed:
            if data["is_active"]:
                staff.staff_reactivate(by=request.user, user=account)
            else:
                staff.staff_deactivate(by=request.user, user=account)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Roles and permissions were set by save_model's services; the form's own m2m save
        # would set them again, unaudited.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404("No such member of staff.")
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if request.method == "POST":
            form = self.change_password_form(user, request.POST)
            if form.is_valid():
                usable = form.cleaned_data["set_usable_password"]
                if usable or "unset-password" in request.POST:
                    staff.staff_password_reset(
                        by=request.user,
                        user=user,
                        password=form.cleaned_data["password1"] if usable else None,
                    )
                    self.log_change(
                        request, user, self.construct_change_message(request, form, None)
                    )
                    if user.pk == request.user.pk:
                        update_session_auth_hash(request, user)
                    messages.success(
                        request,
                        "Password changed." if usable else "Password sign-in turned off.",
                    )
                    return HttpResponseRedirect(reverse("admin:auth_user_change", args=[user.pk]))
        # The form with its errors, or Django's answer to a conflicting submission.
        return super().user_change_password(request, id, form_url)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Staff members' authenticators: listed, and removed when a phone is lost or replaced.

    No page shows a device's key or its QR code, not even to a superuser: whoever holds the key
    can make the owner's codes. No device is added or edited here either (an edited key would
    do the same); each member of staff enrols their own at sign-in."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    ordering = ["user__username", "pk"]
    fields = [
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
        "throttling_failure_count",
        "throttling_failure_timestamp",
    ]
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or staff.may_manage(request.user, obj.user))

    def delete_model(self, request, obj):
        staff.staff_device_remove(by=request.user, device=obj)

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            staff.staff_device_remove(by=request.user, device=device)

    def get_urls(self):
        # django-otp's key and QR-code pages, kept by name so a link to them still resolves,
        # answering 403 (or 404 for a device that does not exist) to everyone.
        refused = self.admin_site.admin_view(self.key_refused)
        return [
            path("<int:pk>/config/", refused, name="otp_totp_totpdevice_config"),
            path("<int:pk>/qrcode/", refused, name="otp_totp_totpdevice_qrcode"),
            *super().get_urls(),
        ]

    def key_refused(self, request, pk):
        if not TOTPDevice.objects.filter(pk=pk).exists():
            raise Http404("No such authenticator.")
        raise PermissionDenied
