"""Who may do what with invoices and runs (the one place these decisions live).

Four eyes means two people. An API client (a key, ``regions.models.ApiClient``) is a system, not a person: two keys,
one submitting and one approving, met the rule "not the user who submitted it" with no person involved at all, and
nothing recorded who stood behind either key. So an approval is a signed-in person's: a manager of the seller who
did not submit the invoice, approving in the admin or through the API with the session of that sign-in. An API
client of any role may not approve (403); it still submits, returns and marks sent or paid as its role allows. The
approval's history entry names the manager (the actor is that person's own login).

The four-eyes rule itself (the approver is not the person who submitted) lives here once, in two forms that say the
same: ``four_eyes_allow`` for one invoice (the service's check and the admin's buttons) and ``four_eyes_q`` for
querysets (the "awaiting my approval" filter and the start page); a test holds them to agreement. The transitions a
user may take now (status, role, four eyes) are ``allowed_transitions``.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from billing.display import invoice_label
from billing.models import TRANSITIONS, Invoice, InvoiceStatus, Transition
from contacts.permissions import sees_full_identity
from regions.models import ApiClient, Role
from regions.selectors import scope_of

_SELLER_STAFF = {
    Transition.SUBMIT: {Role.CLERK, Role.MANAGER},
    Transition.APPROVE: {Role.MANAGER},
    Transition.RETURN: {Role.MANAGER},
    Transition.MARK_SENT: {Role.CLERK, Role.MANAGER},
    Transition.MARK_PAID: {Role.CLERK, Role.MANAGER},
}
# The steps only a signed-in person takes, never an API client (see the module's docstring).
PERSONS_ONLY = {Transition.APPROVE}


def is_api_client(user) -> bool:
    """Whether the user is an API client's (a key's system) rather than a person's own login."""
    if user is None or not user.is_authenticated:
        return False
    cached = getattr(user, "_utomlans_is_api_client", None)
    if cached is None:
        cached = user._utomlans_is_api_client = ApiClient.objects.filter(user_id=user.pk).exists()
    return cached


def can_start_run(user, billing_region: str) -> bool:
    """Clerks and managers of the billing region (and national admins) start its runs."""
    scope = scope_of(user)
    if scope.national:
        return True
    return scope.role in (Role.CLERK, Role.MANAGER) and scope.region_code == billing_region


def can_transition(user, invoice: Invoice, transition: str) -> bool:
    """The seller's own staff move its invoices, each transition by its roles; buyers and admins only read.

    Approval is a signed-in person's, never an API client's. That the approver is not the submitter
    (``four_eyes_allow``) is a rule of the workflow, checked by the service; ``allowed_transitions`` combines all three
    for the admin.
    """
    return _role_may(user, invoice, transition) and (transition not in PERSONS_ONLY or not is_api_client(user))


def transition_refusal(user, invoice: Invoice, transition: str) -> str:
    """Why ``can_transition`` refused: the message of the 403."""
    if transition in PERSONS_ONLY and _role_may(user, invoice, transition) and is_api_client(user):
        return _(
            "An API client may not approve %(invoice)s: four eyes are two people. A manager of the seller who did not "
            "submit it approves it, signed in (in the admin, or through the API with that sign-in)."
        ) % {"invoice": invoice_label(invoice)}
    return _("You may not do this to %(invoice)s.") % {"invoice": invoice_label(invoice)}


def can_transition_in_bulk(user, transition: str) -> bool:
    """Whether ``user`` takes ``transition`` on invoices at all: the role that takes it on its own region's invoices
    (an approval a person's, never an API client's). The gate of the bulk operations and of the admin's actions;
    each invoice is still checked on its own (``can_transition``, then the service)."""
    scope = scope_of(user)
    return (
        scope.role in _SELLER_STAFF[transition]
        and scope.region_code is not None
        and (transition not in PERSONS_ONLY or not is_api_client(user))
    )


def bulk_refusal(user, transition: str) -> str:
    """Why ``can_transition_in_bulk`` refused: the message of the 403."""
    if transition in PERSONS_ONLY and is_api_client(user) and scope_of(user).role in _SELLER_STAFF[transition]:
        return _(
            "An API client may not approve invoices: four eyes are two people. A manager of the seller who did not "
            "submit them approves them, signed in (in the admin, or through the API with that sign-in)."
        )
    if transition == Transition.APPROVE:
        return _("Only the seller's managers approve its invoices.")
    return _("Only the seller's clerks and managers submit its invoices.")


# --- Four eyes: one rule, in two forms ----------------------------------------------------------------------------


def four_eyes_allow(user, invoice: Invoice) -> bool:
    """The four-eyes rule for one invoice: ``user`` may approve it only if ``user`` did not submit it (an invoice with
    no recorded submitter may be approved by anyone allowed to). The same rule as ``four_eyes_q``."""
    return invoice.submitted_by_id is None or invoice.submitted_by_id != getattr(user, "pk", None)


def four_eyes_q(user) -> Q:
    """The four-eyes rule as a condition on invoices: the same rule as ``four_eyes_allow`` (not submitted by ``user``;
    no recorded submitter passes, as SQL's NULL does under Django's negated lookup)."""
    return ~Q(submitted_by=user)


def awaits_approval_of(user, invoice: Invoice) -> bool:
    """Whether ``invoice`` awaits ``user``'s approval: submitted, by someone else. The same rule as
    ``awaiting_approval_of``; who may approve at all (the seller's managers, persons) is ``can_transition``."""
    return invoice.status == InvoiceStatus.SUBMITTED and four_eyes_allow(user, invoice)


def awaiting_approval_of(user) -> Q:
    """Invoices awaiting ``user``'s approval, as a condition: the same rule as ``awaits_approval_of``. The approval
    list's filter and the start page read it, the start page inside one aggregate query."""
    return Q(status=InvoiceStatus.SUBMITTED) & four_eyes_q(user)


def allowed_transitions(user, invoice: Invoice) -> list[str]:
    """Exactly the transitions ``user`` may take on ``invoice`` now: possible from its status (``TRANSITIONS``),
    allowed to the user's role (``can_transition``) and, for an approval, by the four-eyes rule."""
    return [
        transition
        for transition, (sources, _target) in TRANSITIONS.items()
        if invoice.status in sources
        and can_transition(user, invoice, transition)
        and (transition != Transition.APPROVE or four_eyes_allow(user, invoice))
    ]


def _role_may(user, invoice: Invoice, transition: str) -> bool:
    scope = scope_of(user)
    return scope.role is not None and scope.region_code == invoice.seller_id and scope.role in _SELLER_STAFF[transition]


def can_render_documents(user, invoice: Invoice) -> bool:
    """The seller's clerks and managers have an approved invoice's PDFs rendered again (they issue them)."""
    scope = scope_of(user)
    return scope.role in (Role.CLERK, Role.MANAGER) and scope.region_code == invoice.seller_id


def can_credit(user, invoice: Invoice) -> bool:
    """The seller's clerks and managers credit their own approved invoices' lines (the seller's own correction); the
    credit note then needs a manager's approval like every invoice."""
    scope = scope_of(user)
    return scope.role in (Role.CLERK, Role.MANAGER) and scope.region_code == invoice.seller_id


def sees_full_identity_on_invoice(user, invoice: Invoice) -> bool:
    """The parties' clerks, managers and admins see full numbers (contacts.permissions' rule, per invoice)."""
    return sees_full_identity(user, InvoiceParties(invoice))


class InvoiceParties:
    """An invoice's seller and buyer in the shape of a contact's regions, for contacts.permissions' rules."""

    def __init__(self, invoice: Invoice):
        self.billing_region_id = invoice.seller_id
        self.home_region_id = invoice.buyer_id
