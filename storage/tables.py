"""The whole schema. Each table is defined beside its queries (``storage/incidents.py``,
``storage/outbox.py``, ...), so a process loads only the tables it reads; importing this
module registers every one of them on ``SQLModel.metadata``, as Alembic and the tests need.
Schema changes go through Alembic (``storage/migrations``).
"""

from storage.alerts import AlertGroupRow, AlertNotificationRow, AlertRunbookRow, AlertStateRow
from storage.audit import AuditRow
from storage.drills import DrillRow
from storage.inbox import InboxRow
from storage.incidents import IncidentRow, TimelineRow
from storage.leases import LeaseRow
from storage.oncall import OverrideRow
from storage.outbox import PostRow
from storage.runbooks import RunbookActiveRow, RunbookDecisionRow, RunbookRunRow, RunbookStepRow

__all__ = [
    "AlertGroupRow",
    "AlertNotificationRow",
    "AlertRunbookRow",
    "AlertStateRow",
    "AuditRow",
    "DrillRow",
    "InboxRow",
    "IncidentRow",
    "LeaseRow",
    "OverrideRow",
    "PostRow",
    "RunbookActiveRow",
    "RunbookDecisionRow",
    "RunbookRunRow",
    "RunbookStepRow",
    "TimelineRow",
]
