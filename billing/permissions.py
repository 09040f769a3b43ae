"""Who may do what with invoices and runs (the one place these decisions live)."""

from billing.models import Invoice, Transition
from regions.models import Role
from regions.selectors import scope_of

_SELLER_STAFF = {
    Transition.SUBMIT: {Role.CLERK, Role.MANAGER},
    Transition.APPROVE: {Role.MANAGER},
    Transition.RETURN: {Role.MANAGER},
    Transition.MARK_SENT: {Role.CLERK, Role.MANAGER},
    Transition.MARK_PAID: {Role.CLERK, Role.MANAGER},
}


def can_start_run(user, billing_region: str) -> bool:
    """Clerks and managers of the billing region (and national admins) start its runs."""
    scope = scope_of(user)
    if scope.national:
        return True
    return scope.role in (Role.CLERK, Role.MANAGER) and scope.region_code == billing_region


def can_transition(user, invoice: Invoice, transition: str) -> bool:
    """The seller's own staff move its invoices, each transition by its roles; buyers and admins only read.

    The four-eyes rule (the approver is not the submitter) is a rule of the workflow, checked by the service.
    """
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
