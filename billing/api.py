"""Invoice runs and invoices API (API.md: Invoice runs, Invoices)."""

import tempfile

import django_filters
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from billing.bulk import MAX_BULK_INVOICES, InvoiceOutcome, invoices_approve_bulk, invoices_submit_bulk
from billing.document_stream import specification_stream
from billing.documents import specification_csv, ubl_filename
from billing.einvoice.claim import claim_specification_filename
from billing.models import CreditReason, Invoice, InvoiceKind, InvoiceLine, InvoiceRun, InvoiceStatus, Transition
from billing.permissions import (
    bulk_refusal,
    can_credit,
    can_start_run,
    can_transition,
    can_transition_in_bulk,
    sees_full_identity_on_invoice,
    transition_refusal,
)
from billing.previews.models import PreviewDocument
from billing.previews.views import api_preview_response
from billing.refusals import Refusal
from billing.runs import invoice_runs_fail_abandoned
from billing.selectors import invoice_totals
from billing.services import TRANSITION_SERVICES, invoice_credit, invoice_run_start
from billing.specification_sv import specification_csv_sv, specification_xlsx
from contacts.audit.models import ReadVia
from contacts.audit.services import identity_reads_record, identity_shown, specification_shown
from contacts.identifiers import mask_personal_identity
from kernel.api import fields
from kernel.api.renderers import PassthroughRenderer
from kernel.api.schema import CONFLICT, DetailSerializer
from kernel.errors import StateConflict
from kernel.history import Via
from kernel.xlsx import XLSX_CONTENT_TYPE
from regions.api_base import ScopedQuerysetMixin

# --- Runs ------------------------------------------------------------------------------------------


class InvoiceRunSerializer(serializers.ModelSerializer):
    billing_region = serializers.CharField(source="billing_region_id")
    invoices = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = InvoiceRun
        fields = [
            "id",
            "billing_region",
            "period",
            "status",
            "progress",
            "invoices",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class InvoiceRunCreateSerializer(serializers.Serializer):
    billing_region = fields.TextField(code=True, max_length=2, help_text="Län code of the billing (seller) region.")
    period = fields.TextField(code=True, max_length=7, help_text="YYYY-MM")


class InvoiceRunViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = InvoiceRun.objects.prefetch_related("invoices")
    serializer_class = InvoiceRunSerializer
    ordering = ("-created_at", "-id")

    @extend_schema(request=InvoiceRunCreateSerializer, responses={202: InvoiceRunSerializer})
    def create(self, request, *args, **kwargs):
        payload = InvoiceRunCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        region = payload.validated_data["billing_region"]
        if not can_start_run(request.user, region):
            raise PermissionDenied(_("Only a clerk or manager of the billing region may start its invoice runs."))
        run = invoice_run_start(
            billing_region=region, period=payload.validated_data["period"], by=request.user, via=Via.API
        )
        run.refresh_from_db()  # with no broker the run has already happened
        return Response(InvoiceRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    # A run whose worker died answers "failed" with why, instead of "running" forever.
    def list(self, request, *args, **kwargs):
        invoice_runs_fail_abandoned(runs=self.get_queryset())
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        invoice_runs_fail_abandoned(runs=self.get_queryset())
        return super().retrieve(request, *args, **kwargs)


# --- Invoices --------------------------------------------------------------------------------------


class CategoryTotalSerializer(serializers.Serializer):
    category = serializers.CharField()
    count = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=10, decimal_places=2)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    patient_fees = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)


class InvoiceSerializer(serializers.ModelSerializer):
    seller = serializers.CharField(source="seller_id")
    buyer = serializers.CharField(source="buyer_id")
    credits = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    totals = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "seller",
            "buyer",
            "period",
            "status",
            "issue_date",
            "due_date",
            "total",
            "contact_count",
            "credits",
            "credit_reason",
            "specification_id",
            "totals",
        ]

    @extend_schema(responses=CategoryTotalSerializer(many=True))
    def get_totals(self, obj) -> list[dict]:
        return CategoryTotalSerializer(invoice_totals(obj), many=True).data


class InvoiceLineSerializer(serializers.ModelSerializer):
    """A line as billed: the contact's facts are the line's own (frozen when it was invoiced)."""

    contact = serializers.IntegerField(source="contact_id")
    recommendation = serializers.CharField(source="recommendation.code")
    patient_id = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "contact",
            "external_id",
            "started_at",
            "profession",
            "category",
            "recommendation",
            "rate",
            "patient_fee",
            "fee_deducted",
            "amount",
            "patient_id",
        ]

    def get_patient_id(self, obj) -> str:
        request = self.context["request"]
        if sees_full_identity_on_invoice(request.user, obj.invoice):
            identity_shown(request, contact_id=obj.contact_id, via=ReadVia.API_INVOICE_LINES)
            return obj.patient_id
        return mask_personal_identity(obj.patient_id)


APPROVED_RETRY_AFTER = 5  # seconds: an approved invoice's documents are rendered by the task its approval queued
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[202],
    description="With 202: seconds to wait before asking again.",
)
PDF_PENDING = OpenApiResponse(
    DetailSerializer,
    description="The PDF is still being rendered: an approved invoice's after its approval, a draft's or submitted "
    "invoice's preview (rendered once per version of its content) after a change. Ask again after Retry-After.",
)

CLAIM_PENDING = OpenApiResponse(
    DetailSerializer,
    description="The fakturaunderlag is rendered with the PDFs after approval. Ask again after Retry-After.",
)


UBL_PENDING = OpenApiResponse(
    DetailSerializer,
    description="The approved invoice's e-invoice is still being rendered with its PDFs. Ask again after Retry-After.",
)


def _pdf_response(invoice: Invoice, field: str, document: str, name: str):
    if invoice.is_frozen:
        stored = getattr(invoice, field)
        if not stored:
            response = JsonResponse({"detail": _("The PDF is being rendered; try again shortly.")}, status=202)
            response["Retry-After"] = str(APPROVED_RETRY_AFTER)
            return response
        return FileResponse(stored.open("rb"), content_type="application/pdf", filename=f"{name}-{invoice.number}.pdf")
    # A draft or submitted invoice: its preview, rendered once per version in the background (billing.previews).
    return api_preview_response(invoice, document, f"{name}-forhandsvisning-{invoice.pk}.pdf")


class InvoiceFilter(django_filters.FilterSet):
    seller = django_filters.CharFilter(field_name="seller_id", help_text="Län code.")
    buyer = django_filters.CharFilter(field_name="buyer_id", help_text="Län code.")
    period = django_filters.CharFilter(help_text="YYYY-MM")
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices)

    class Meta:
        model = Invoice
        fields = []


class ReturnSerializer(serializers.Serializer):
    note = fields.NoteField(help_text="Why the invoice goes back to draft.")


class CreditSerializer(serializers.Serializer):
    contacts = serializers.ListField(
        child=fields.IntegerField(min_value=1),
        min_length=1,
        max_length=10_000,
        help_text="Ids of the contacts of this invoice to credit, each in full.",
    )
    credit_reason = serializers.ChoiceField(
        choices=CreditReason.choices, help_text="Inera's credit reason, 1-9 (1 wrong home region … 9 not billable)."
    )
    note = fields.NoteField(max_length=2000, help_text="Why the seller credits them.")
    rebill = serializers.BooleanField(
        default=False,
        help_text="Invoice the contacts again once the credit note is approved (reasons 1-4 only): the correction "
        "is applied through intake, and a run of the period puts them on a new invoice.",
    )
    correction = serializers.DictField(
        child=fields.TextField(code=True, allow_blank=True, max_length=64),
        required=False,
        help_text="Corrected values applied to each contact when the credit note is approved (with rebill): "
        "home_region, home_municipality, profession, patient_fee, listing_unit, care_unit, as contacts are sent.",
    )


class InvoiceIdField(fields.WholeIdField):
    default_error_messages = {"invalid": _("Must be an invoice id: a whole number (not text).")}


class InvoiceBulkRequestSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=InvoiceIdField(),
        min_length=1,
        max_length=MAX_BULK_INVOICES,
        help_text=f"Ids of the invoices, each once, at most {MAX_BULK_INVOICES}; taken in ascending order.",
        error_messages={
            "not_a_list": _("Must be a JSON array of invoice ids."),
            "empty": _("Name at least one invoice."),
            "min_length": _("Name at least one invoice."),
            "max_length": _("At most {max_length} invoices per request."),
        },
    )

    def validate_ids(self, ids: list[int]) -> list[int]:
        seen, repeated = set(), []
        for pk in ids:
            if pk in seen and pk not in repeated:
                repeated.append(pk)
            seen.add(pk)
        if repeated:
            raise serializers.ValidationError(
                _("Name each invoice once; given more than once: %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in repeated)}
            )
        return ids


class InvoiceBulkRefusalSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The status the single operation answers for it: 403, 404 or 409.")
    code = serializers.ChoiceField(choices=[code.value for code in Refusal], help_text="Why, for machines.")
    detail = serializers.CharField(help_text="Why, as the single operation's message says it.")


class InvoiceBulkOutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True, help_text="The invoice's number (null until approved).")
    status = serializers.ChoiceField(
        choices=InvoiceStatus.choices, allow_null=True, help_text="Its status afterwards (null when not found)."
    )
    result = serializers.ChoiceField(choices=["done", "refused"])
    error = InvoiceBulkRefusalSerializer(allow_null=True, help_text="Why it was refused; null when done.")


class InvoiceBulkResultSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="How many invoices were submitted (approved).")
    refused = serializers.IntegerField(help_text="How many were refused, each with its reason in results.")
    results = InvoiceBulkOutcomeSerializer(many=True, help_text="One per invoice, in ascending id.")


def _bulk_response(outcomes: list[InvoiceOutcome]) -> Response:
    results = [
        {
            "id": outcome.id,
            "number": outcome.invoice.number if outcome.invoice else None,
            "status": outcome.invoice.status if outcome.invoice else None,
            "result": "done" if outcome.done else "refused",
            "error": None
            if outcome.done
            else {"status": outcome.refused.status, "code": outcome.refused.code, "detail": outcome.refused.detail},
        }
        for outcome in outcomes
    ]
    done = sum(1 for outcome in outcomes if outcome.done)
    return Response({"done": done, "refused": len(outcomes) - done, "results": results})


BULK_DESCRIPTION = (
    "Each invoice goes through every check of the single operation on its own, in ascending id, and is done or "
    "refused with the status, code and message that operation gives (404 not found or outside the caller's scope, "
    "403 not the caller's to move, 409 its state); one refusal does not undo the others. 400 for a body that is not "
    f'{{"ids": [...]}} with 1-{MAX_BULK_INVOICES} distinct whole-number ids; then nothing is done.'
)


class InvoiceViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices where the caller's region is seller or buyer. The buyer's staff read; the seller's move them."""

    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering = ("-id",)
    scope_filters = {"seller": "seller", "buyer": "buyer"}
    throttle_scope = None  # "documents" on the document actions (kernel.api.throttling.ScopedClientRateThrottle)

    @extend_schema(responses=InvoiceLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        invoice = self.get_object()
        lines = invoice.lines.select_related("invoice", "recommendation").order_by("id")
        self.ordering = ("id",)
        page = self.paginate_queryset(lines)
        serializer = InvoiceLineSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def _transition(self, request, transition: str, **kwargs):
        invoice = self.get_object()
        if not can_transition(request.user, invoice, transition):
            raise PermissionDenied(transition_refusal(request.user, invoice, transition))
        invoice = TRANSITION_SERVICES[transition](invoice=invoice, by=request.user, via=Via.API, **kwargs)
        return Response(InvoiceSerializer(invoice).data)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 202: PDF_PENDING}, parameters=[RETRY_AFTER]
    )
    @action(detail=True, methods=["get"], renderer_classes=[PassthroughRenderer], throttle_scope="documents")
    def pdf(self, request, pk=None):
        """The invoice PDF: stored once approved (202 until rendered); a draft or submitted one is a preview, rendered
        once per version of its content (202 while it is rendered)."""
        return _pdf_response(self.get_object(), "pdf", PreviewDocument.INVOICE, "faktura")

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 202: PDF_PENDING}, parameters=[RETRY_AFTER]
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="specification-pdf",
        renderer_classes=[PassthroughRenderer],
        throttle_scope="documents",
    )
    def specification_pdf(self, request, pk=None):
        """The specification (every line, full identity numbers: invoices are read by the parties' staff): stored once
        approved (202 until rendered); a draft or submitted one is a preview, rendered once per version of its content
        (202 while it is rendered)."""
        invoice = self.get_object()
        response = _pdf_response(invoice, "specification_pdf", PreviewDocument.SPECIFICATION, "fakturaunderlag")
        if response.status_code == 200:
            specification_shown(request, invoice=invoice, via=ReadVia.PDF_SPECIFICATION)
        return response

    @extend_schema(
        responses={(200, "application/xml"): OpenApiTypes.BINARY, 202: UBL_PENDING, 404: DetailSerializer},
        parameters=[RETRY_AFTER],
    )
    @action(detail=True, methods=["get"], renderer_classes=[PassthroughRenderer], throttle_scope="documents")
    def ubl(self, request, pk=None):
        """The e-invoice: Peppol BIS Billing 3.0 (UBL 2.1 Invoice, or CreditNote for a credit note), what the
        buyer's finance system imports. Only approved (sent, paid) invoices have one (404 before approval); it is
        stored with their PDFs (202 until rendered)."""
        invoice = self.get_object()
        if not invoice.is_frozen:
            raise NotFound(_("An invoice has an e-invoice once it is approved."))
        if not invoice.ubl:
            response = JsonResponse({"detail": _("The e-invoice is being rendered; try again shortly.")}, status=202)
            response["Retry-After"] = str(APPROVED_RETRY_AFTER)
            return response
        return FileResponse(invoice.ubl.open("rb"), content_type="application/xml", filename=ubl_filename(invoice))

    @extend_schema(
        summary="Inera's fakturaunderlag (ProcessClaimSpecification XML) of an approved invoice or credit note",
        responses={
            (200, "application/xml"): OpenApiTypes.BINARY,
            202: CLAIM_PENDING,
            403: OpenApiResponse(DetailSerializer, description="The caller may not see full identity numbers."),
            409: CONFLICT,
        },
        parameters=[RETRY_AFTER],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="claim-specification",
        renderer_classes=[PassthroughRenderer],
        throttle_scope="documents",
    )
    def claim_specification(self, request, pk=None):
        """Every line with the patient's full identity number, for the buyer's system to import (matched on the
        specification id): stored with the PDFs once approved (202 until rendered). Only for those who see full
        identity numbers; each read is recorded as one identity read of the whole invoice, as the CSV's."""
        invoice = self.get_object()
        if not sees_full_identity_on_invoice(request.user, invoice):
            raise PermissionDenied(
                _("Only the parties' clerks, managers and administrators may read the fakturaunderlag.")
            )
        if not invoice.is_frozen:
            raise StateConflict(_("Only an approved invoice has a fakturaunderlag (Inera XML)."))
        if not invoice.claim_specification:
            detail = _("The fakturaunderlag is being rendered; try again shortly.")
            response = JsonResponse({"detail": detail}, status=202)
            response["Retry-After"] = str(APPROVED_RETRY_AFTER)
            return response
        stored = invoice.claim_specification.open("rb")
        # Recorded before anything is sent: a read that cannot be recorded fails the request.
        identity_reads_record(
            user=request.user,
            path=request.path,
            documents=[(invoice.pk, invoice.contact_count, ReadVia.CLAIM_SPECIFICATION)],
        )
        return FileResponse(
            stored,
            content_type="application/xml",
            as_attachment=True,
            filename=claim_specification_filename(invoice),
        )

    @extend_schema(request=None, responses={200: InvoiceSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, Transition.SUBMIT)

    @extend_schema(request=None, responses={200: InvoiceSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, Transition.APPROVE)

    def _bulk(self, request, transition: str, service) -> Response:
        if not can_transition_in_bulk(request.user, transition):
            raise PermissionDenied(bulk_refusal(request.user, transition))  # before the body is read
        payload = InvoiceBulkRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return _bulk_response(service(ids=payload.validated_data["ids"], by=request.user, via=Via.BULK))

    @extend_schema(
        summary="Submit invoices for approval in bulk",
        description="The clerk's or manager's month close: `POST .../submit/` for each invoice of `ids` (the seller's "
        "clerks and managers). " + BULK_DESCRIPTION,
        operation_id="invoices_submit_bulk",
        request=InvoiceBulkRequestSerializer,
        responses={200: InvoiceBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="submit", url_name="submit-bulk")
    def submit_bulk(self, request):
        return self._bulk(request, Transition.SUBMIT, invoices_submit_bulk)

    @extend_schema(
        summary="Approve invoices in bulk",
        description="`POST .../approve/` for each invoice of `ids`: a manager of the seller, signed in (an API "
        "client's key is refused with 403, as for one invoice), never an invoice the manager submitted; each "
        "approved one gets the next number. " + BULK_DESCRIPTION,
        operation_id="invoices_approve_bulk",
        request=InvoiceBulkRequestSerializer,
        responses={200: InvoiceBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="approve", url_name="approve-bulk")
    def approve_bulk(self, request):
        return self._bulk(request, Transition.APPROVE, invoices_approve_bulk)

    @extend_schema(request=ReturnSerializer, responses={200: InvoiceSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_draft(self, request, pk=None):
        payload = ReturnSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._transition(request, Transition.RETURN, note=payload.validated_data["note"])

    @extend_schema(
        summary="Credit contacts of an approved invoice (the seller's own correction)",
        request=CreditSerializer,
        responses={201: InvoiceSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def credit(self, request, pk=None):
        """The seller credits contacts of its approved invoice on the draft credit note for the reason (created with
        the first), which then goes through submit and approval like every invoice. A contact already credited, or on
        a credit note being made, is a 409."""
        invoice = self.get_object()
        if not can_credit(request.user, invoice):
            raise PermissionDenied(_("Only the seller's clerks and managers credit its invoices."))
        payload = CreditSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        credit_note = invoice_credit(
            invoice=invoice,
            contact_ids=data["contacts"],
            reason=data["credit_reason"],
            note=data["note"],
            rebill=data["rebill"],
            correction=data.get("correction") or {},
            by=request.user,
            via=Via.API,
        )
        return Response(InvoiceSerializer(credit_note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InvoiceSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="mark-sent")
    def mark_sent(self, request, pk=None):
        return self._transition(request, Transition.MARK_SENT)

    @extend_schema(request=None, responses={200: InvoiceSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        return self._transition(request, Transition.MARK_PAID)


class InvoiceSpecificationCsvView(ScopedQuerysetMixin, generics.GenericAPIView):
    """``GET /invoices/{id}/specification.csv``: the specification as CSV, one row per line, streamed.

    Nothing is sent until the first line has been read; a failure later aborts the transfer (the client sees an
    incomplete download, never a complete-looking file). Full identity numbers are recorded as read once the lines
    have been produced (``billing.document_stream``)."""

    queryset = Invoice.objects.all()
    renderer_classes = [PassthroughRenderer]
    pagination_class = None
    throttle_scope = "documents"
    write_rows = staticmethod(specification_csv)
    trailer_chunks = 0
    filename = "fakturaunderlag-{number}.csv"

    @extend_schema(
        summary="The specification of an invoice as CSV, every line",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, pk=None):
        invoice = self.get_object()
        full_identity = sees_full_identity_on_invoice(request.user, invoice)
        record = None
        if full_identity:
            user, path = request.user, request.path

            def record(lines: int) -> None:
                identity_reads_record(user=user, path=path, documents=[(invoice.pk, lines, ReadVia.CSV_SPECIFICATION)])

        rows = specification_stream(
            self.write_rows(invoice, full_identity=full_identity),
            record=record,
            description=f"{request.path} (invoice {invoice.pk})",
            trailer_chunks=self.trailer_chunks,
        )
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        filename = self.filename.format(number=invoice.number or invoice.pk)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class InvoiceSpecificationSwedishCsvView(InvoiceSpecificationCsvView):
    """``GET /invoices/{id}/specification-sv.csv``: the specification for people, as Swedish Excel opens it.

    Swedish headings and values, dates ``YYYY-MM-DD`` and times in Stockholm time, amounts with a decimal comma
    (negative on a credit note), the fee paid and the fee deducted, a last row "Summa" equal to the invoice's totals;
    semicolons, UTF-8 with a byte-order mark. The same scope, identity-number rule, record of the read and formula
    guard as ``specification.csv``, which stays the machine format."""

    write_rows = staticmethod(specification_csv_sv)
    trailer_chunks = 1  # the sum row
    filename = "fakturaunderlag-{number}-sv.csv"

    @extend_schema(
        summary="The specification of an invoice as a Swedish CSV for people (Excel), every line and a sum row",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, pk=None):
        return super().get(request, pk)


class InvoiceSpecificationXlsxView(ScopedQuerysetMixin, generics.GenericAPIView):
    """``GET /invoices/{id}/specification.xlsx``: the Swedish specification (``specification-sv.csv``) as an XLSX
    workbook: the same columns, lines and sum row, amounts as numbers (``#,##0.00``), the date and the time as date
    cells in Stockholm time, text cells never formulas. The same scope (another region's invoice is a 404) and
    identity-number rule; the read of full numbers is recorded once the workbook has been written, before it is
    sent (written in constant memory to a temporary file, which the response streams from)."""

    queryset = Invoice.objects.all()
    renderer_classes = [PassthroughRenderer]
    pagination_class = None
    throttle_scope = "documents"

    @extend_schema(
        summary="The specification of an invoice as an XLSX workbook for people (Excel), every line and a sum row",
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request, pk=None):
        invoice = self.get_object()
        full_identity = sees_full_identity_on_invoice(request.user, invoice)
        file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
        try:
            lines = specification_xlsx(file, invoice, full_identity=full_identity)
            if full_identity:
                identity_reads_record(
                    user=request.user,
                    path=request.path,
                    documents=[(invoice.pk, lines, ReadVia.XLSX_SPECIFICATION)],
                )
        except BaseException:
            file.close()
            raise
        file.seek(0)
        filename = f"fakturaunderlag-{invoice.number or invoice.pk}.xlsx"
        return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
