"""SQLAlchemy 2 models: plans and units, people, reports, delivery and the audit log."""

from data.models.base import CO, LEAD, NAMING, Base, UTCDateTime
from data.models.delivery import (
    AuditEntry,
    Broadcast,
    Chase,
    NudgeClaim,
    OutboxBody,
    OutboxMessage,
    ProcessedUpdate,
)
from data.models.people import (
    Contact,
    ContactUnit,
    CoordinatorGrant,
    Invite,
    InviteFailure,
    UnitLeader,
)
from data.models.plans import Plan, PlanImport, Section, Task, TaskTarget
from data.models.reports import (
    Attachment,
    Bulletin,
    MessageRef,
    Period,
    Report,
    ReportDraft,
    TargetValue,
)
from data.models.units import CollectiveMember, TaskAssignment, TaskUnit, Unit, UnitAlias

__all__ = [
    "CO",
    "LEAD",
    "NAMING",
    "Attachment",
    "AuditEntry",
    "Base",
    "Broadcast",
    "Bulletin",
    "Chase",
    "CollectiveMember",
    "Contact",
    "ContactUnit",
    "CoordinatorGrant",
    "Invite",
    "InviteFailure",
    "MessageRef",
    "NudgeClaim",
    "OutboxBody",
    "OutboxMessage",
    "Period",
    "Plan",
    "PlanImport",
    "ProcessedUpdate",
    "Report",
    "ReportDraft",
    "Section",
    "TargetValue",
    "Task",
    "TaskAssignment",
    "TaskTarget",
    "TaskUnit",
    "UTCDateTime",
    "Unit",
    "UnitAlias",
    "UnitLeader",
]
