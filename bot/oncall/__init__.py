"""On-call as pure domain code: the weekly rotation, paging hours, overrides and fatigue.

No I/O: callers pass the instant (from the injected clock), the configuration and the
stored overrides; everything here is a function of those.
"""

from bot.oncall.fatigue import Fatigue, Page, fatigue
from bot.oncall.hours import (
    WORKING_HOURS,
    Handoff,
    Pool,
    WorkingHours,
    is_out_of_hours,
    local_instant,
    paged_pool,
    paging_periods,
)
from bot.oncall.overrides import (
    MAX_OVERRIDE,
    Override,
    active_override,
    new_override,
    parse_until,
)
from bot.oncall.rotation import ANCHOR, Coverage, Rotation, Shift, WeekPlan

__all__ = [
    "ANCHOR",
    "MAX_OVERRIDE",
    "WORKING_HOURS",
    "Coverage",
    "Fatigue",
    "Handoff",
    "Override",
    "Page",
    "Pool",
    "Rotation",
    "Shift",
    "WeekPlan",
    "WorkingHours",
    "active_override",
    "fatigue",
    "is_out_of_hours",
    "local_instant",
    "new_override",
    "paged_pool",
    "paging_periods",
    "parse_until",
]
