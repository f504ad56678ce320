"""Consultation requests: the public page that takes them, and the front desk's queue.

The queue and its actions are for the front desk only: an inquiry is a member of the public's
mental-health concerns before they are anyone's patient, and turning it into a patient record
(or closing it) is front-desk work. Clinicians meet the person once they are a patient.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.audit import record_access
from clinic.client_address import client_ip
from clinic.locations import current_location_id
from clinic.roles import FRONT_DESK, public_view, role_required

from ..access import visible_patients
from ..forms import ConsultationRequestForm, InquiryCloseForm, PatientForm, PatientRegistrationForm
from ..models import ConsultationRequest
from ..selectors import national_phone
from ..services import inquiries as services
from ..services.patients import PossibleDuplicate, age_on

Status = ConsultationRequest.Status
# A page of the queue: 20 requests, as the other worklists show at a time.
QUEUE_PAGE_SIZE = 20
# The held requests shown below the new ones: the oldest first, as many as one look can check.
HELD_SHOWN = 20


# --- Public -----------------------------------------------------------------------------------


def _request_page(request, form, *, notice: str = "", status: int = 200):
    return render(
        request,
        "intake/inquiries/request.html",
        {
            "form": form,
            "notice": notice,
            "clinic_phone": getattr(settings, "CLINIC_PHONE", ""),
        },
        status=status,
    )


@public_view
@require_http_methods(["GET", "POST"])
def consultation_request(request):
    # A chain of several locations asks which one; one clinic asks nothing (and reads nothing).
    locations = services.inquiry_locations()
    if request.method == "GET":
        form = ConsultationRequestForm(
            initial={"form_stamp": services.inquiry_form_stamp()}, locations=locations
        )
        return _request_page(request, form)
    form = ConsultationRequestForm(request.POST, locations=locations)
    if not form.is_valid():
        return _request_page(request, form, status=400)
    try:
        services.inquiry_submit(
            details=form.inquiry_details(),
            client_ip=client_ip(request),
            location=form.chosen_location(),
        )
    except services.InquiryFormExpired:
        # A person who left the page open overnight: everything they typed, a fresh stamp.
        data = request.POST.copy()
        data["form_stamp"] = services.inquiry_form_stamp()
        return _request_page(
            request, ConsultationRequestForm(data, locations=locations), notice="expired"
        )
    except services.InquiryRateLimited:
        return _request_page(request, form, notice="rate_limited", status=429)
    except ValidationError as error:
        form.add_error(None, error)
        return _request_page(request, form, status=400)
    # Also for a submission held for a check (a person's request is safe: the front desk sees
    # it) or dropped as a script's: a bot learns nothing from the answer.
    return redirect("intake:consultation_thanks")


@public_view
@require_GET
def consultation_thanks(request):
    return render(request, "intake/inquiries/thanks.html")


# --- Front desk -------------------------------------------------------------------------------


@role_required(FRONT_DESK)
@require_GET
def inquiry_list(request):
    status = request.GET.get("status", Status.NEW)
    # Held requests have no tab of their own: they are listed apart on the new ones' page.
    if status not in Status.values or status == Status.HELD:
        status = Status.NEW
    # In a chain, the requests for the location worked in; with one clinic, every request.
    location_id = current_location_id(request)
    counts = services.inquiry_status_counts(location_id=location_id)
    paginator = Paginator(
        services.inquiry_queue(status=status, location_id=location_id), QUEUE_PAGE_SIZE
    )
    # The tab's count is known already: spare the paginator its COUNT query.
    paginator.count = counts[status]
    page = paginator.get_page(request.GET.get("page"))
    if status == Status.NEW:
        for inquiry in page.object_list:
            inquiry.mobile_shown = national_phone(inquiry.stored_mobile)
    tabs = [
        {"value": value, "label": label, "count": counts[value], "current": value == status}
        for value, label in Status.choices
        if value != Status.HELD
    ]
    held = []
    if status == Status.NEW and counts[Status.HELD]:
        held = list(
            services.inquiry_queue(status=Status.HELD, location_id=location_id)[:HELD_SHOWN]
        )
    return render(
        request,
        "intake/inquiries/list.html",
        {
            "page": page,
            "status": status,
            "tabs": tabs,
            "new_count": counts[Status.NEW],
            "held": held,
            "held_count": counts[Status.HELD],
        },
    )


def _inquiry_or_404(request, pk: int) -> ConsultationRequest:
    """The inquiry; in a chain, only one for the location worked in (another's answers 404,
    as it is not in this location's queue)."""
    inquiries = ConsultationRequest.objects.select_related("patient", "handled_by", "released_by")
    location_id = current_location_id(request)
    if location_id is not None:
        inquiries = inquiries.filter(location_id=location_id)
    return get_object_or_404(inquiries, pk=pk)


def _detail_page(request, inquiry, close_form, *, status: int = 200):
    record_access(request, inquiry)
    return render(
        request,
        "intake/inquiries/detail.html",
        {
            "inquiry": inquiry,
            "age": age_on(inquiry.date_of_birth, timezone.localdate()),
            "close_form": close_form,
        },
        status=status,
    )


def _refuse_handled(request, error: services.InquiryNotNew | services.InquiryNotHeld):
    messages.error(request, str(error))
    return redirect("intake:inquiry_detail", pk=error.inquiry.pk)


@role_required(FRONT_DESK)
@require_GET
def inquiry_detail(request, pk: int):
    return _detail_page(request, _inquiry_or_404(request, pk), InquiryCloseForm())


@role_required(FRONT_DESK)
@require_POST
def inquiry_close(request, pk: int):
    inquiry = _inquiry_or_404(request, pk)
    form = InquiryCloseForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, inquiry, form, status=400)
    try:
        services.inquiry_close(
            inquiry=inquiry,
            reason=form.cleaned_data["close_reason"],
            note=form.cleaned_data["close_note"],
            user=request.user,
        )
    except services.InquiryNotNew as error:
        return _refuse_handled(request, error)
    messages.success(request, f"Closed the inquiry from {inquiry.full_name}.")
    return redirect("intake:inquiry_list")


@role_required(FRONT_DESK)
@require_POST
def inquiry_release(request, pk: int):
    inquiry = _inquiry_or_404(request, pk)
    try:
        services.inquiry_release(inquiry=inquiry, user=request.user)
    except services.InquiryNotHeld as error:
        return _refuse_handled(request, error)
    messages.success(request, f"Released the request from {inquiry.full_name} to new inquiries.")
    return redirect("intake:inquiry_list")


@role_required(FRONT_DESK)
@require_POST
def inquiry_discard(request, pk: int):
    inquiry = _inquiry_or_404(request, pk)
    try:
        services.inquiry_discard_as_spam(inquiry=inquiry, user=request.user)
    except services.InquiryNotHeld as error:
        return _refuse_handled(request, error)
    messages.success(request, f"Discarded the request from {inquiry.full_name} as spam.")
    return redirect("intake:inquiry_list")


@role_required(FRONT_DESK)
@require_http_methods(["GET", "POST"])
def inquiry_register_patient(request, pk: int):
    """The patient registration form, started from what the inquiry says."""
    inquiry = _inquiry_or_404(request, pk)
    if inquiry.status != Status.NEW:
        return _refuse_handled(request, services.InquiryNotNew(inquiry))
    if request.method == "GET":
        record_access(request, inquiry)
        form = PatientRegistrationForm(initial=services.inquiry_patient_details(inquiry))
    else:
        form = PatientRegistrationForm(request.POST)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.inquiry_register_patient(
                inquiry=inquiry,
                user=request.user,
                details={name: form.cleaned_data[name] for name in PatientForm.Meta.fields},
                allow_duplicate=form.cleaned_data["confirm_new_patient"],
                **form.measurement_kwargs(),
            )
        except PossibleDuplicate as found:
            duplicates = found.candidates
        except services.InquiryNotNew as error:
            return _refuse_handled(request, error)
        else:
            messages.success(
                request,
                f"Registered {patient.full_name}, MRN {patient.mrn}, from their consultation "
                "request.",
            )
            return redirect("intake:patient_detail", pk=patient.pk)
    return render(
        request,
        "intake/inquiries/register_patient.html",
        {"form": form, "inquiry": inquiry, "duplicates": duplicates},
    )


@role_required(FRONT_DESK)
@require_POST
def inquiry_link_patient(request, pk: int):
    """The inquiry is from someone already registered: link it to their record."""
    inquiry = _inquiry_or_404(request, pk)
    patient_id = request.POST.get("patient", "")
    if not patient_id.isdigit():
        raise Http404
    patient = get_object_or_404(visible_patients(request), pk=patient_id)
    try:
        services.inquiry_convert(inquiry=inquiry, patient=patient, user=request.user)
    except services.InquiryNotNew as error:
        return _refuse_handled(request, error)
    messages.success(
        request,
        f"Linked the consultation request to {patient.full_name}, MRN {patient.mrn}.",
    )
    return redirect("intake:patient_detail", pk=patient.pk)
