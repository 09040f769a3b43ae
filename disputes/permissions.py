"""Who may open, argue, assign and decide a dispute case (the one place these decisions live; who sees a contact
and who rejects one stay in ``contacts.permissions``)."""

from regions.models import Role
from regions.selectors import scope_of


def _is_region_staff_of(user, region_code: str) -> bool:
    scope = scope_of(user)
    return scope.role in (Role.CLERK, Role.MANAGER) and scope.region_code == region_code


def can_open_rejection_dispute(user, contact) -> bool:
    """The contact's provider system, or the billing region's clerks and managers, contest a rejection."""
    scope = scope_of(user)
    if scope.is_provider:
        return scope.provider_id == contact.provider_id
    return _is_region_staff_of(user, contact.billing_region_id)


def can_object_for(user, home_region: str) -> bool:
    """The buyer (home) region's clerks and managers object to contacts on the invoices their region received."""
    return _is_region_staff_of(user, home_region)


def can_open_objection(user, contact) -> bool:
    """The buyer (home) region's clerks and managers object to a contact on an approved invoice."""
    return can_object_for(user, contact.home_region_id)


# The parties of a case (who reads it: the case, its thread and its evidence). Decided once, in the scoping
# selector (``Dispute.Scoping`` through ``regions.selectors.visible_to``), which every list, detail, download and
# admin screen goes through:
# - the billing (seller) region's staff: they decide every case;
# - the home (buyer) region's staff: they object to invoiced contacts, and they pay for a rejected contact whose
#   rejection is lifted, so both kinds are their business (API.md: region staff see the disputes of their region
#   as seller or buyer);
# - the contact's provider, in a contested rejection only: it contests its own contacts' rejections (or the billing
#   region does so for it) and is paid when one is lifted. An objection is a matter between the two regions about
#   an invoice the provider is not on, and its thread may quote the home region's registers: the provider is no
#   party to it and does not see it (404, as for anything outside one's scope);
# - national admins see everything, as the scoping rule gives them everywhere.
# Writing in a thread is narrower (``is_dispute_party``): the buyer reads a rejection case but does not argue it.


def is_dispute_party(user, dispute) -> bool:
    """Who writes in a case's thread: the seller's staff always; the provider (rejections) or the buyer's
    staff (objections)."""
    contact = dispute.contact
    if _is_region_staff_of(user, contact.billing_region_id):
        return True
    if dispute.kind == "rejection":
        scope = scope_of(user)
        return scope.is_provider and scope.provider_id == contact.provider_id
    return _is_region_staff_of(user, contact.home_region_id)


def can_assign_dispute(user, dispute) -> bool:
    """The billing region handles its cases: its clerks and managers assign them among themselves."""
    return _is_region_staff_of(user, dispute.contact.billing_region_id)


def opened_dispute(user, dispute) -> bool:
    """Whether the user is the person who opened the case."""
    return dispute.opened_by_id is not None and dispute.opened_by_id == getattr(user, "pk", None)


def can_resolve_dispute(user, dispute) -> bool:
    """The billing region decides: its clerks and managers, but never the person who opened the case (four eyes,
    as an invoice's submitter may not approve it). A clerk who contests a rejection of the region's own contact
    has a colleague decide it; objections are opened by the buyer, so the rule never stands in their way."""
    return can_assign_dispute(user, dispute) and not opened_dispute(user, dispute)


def can_decide_in_bulk(user) -> bool:
    """Whether ``user`` decides cases at all: a clerk or manager of a region (the gate of the bulk decision and of
    the admin's actions; each case is still checked on its own, ``can_resolve_dispute``)."""
    scope = scope_of(user)
    return scope.role in (Role.CLERK, Role.MANAGER) and scope.region_code is not None
