"""Who may load and read a buyer region's registers: its own staff (clerks, managers, its admin), nobody else."""

from regions.selectors import scope_of


def can_load_registers(user) -> bool:
    return scope_of(user).is_region_staff


def register_region(user) -> str | None:
    """The region whose registers the user loads and reads; None for anyone who has none."""
    scope = scope_of(user)
    return scope.region_code if scope.is_region_staff else None
