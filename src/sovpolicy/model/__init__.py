"""Core types: frozen dataclasses and enums shared by every stage of the pipeline.

sources -> ``Resource`` (with a ``Placement``) -> catalog -> ``Host`` -> classify ->
policies -> ``Finding`` -> reporters -> ``ScanResult``. Nothing here does I/O:
:mod:`.facts` (catalog facts), :mod:`.resource` (what sources give), :mod:`.verdict`
(policies, waivers, findings, the scan result).
"""

from .facts import Adequacy, Certification, Entity, Host, Law, SourceRef
from .resource import Classification, DataLink, Flow, FlowKind, Location, Origin, Placement, Resource, SourceKind
from .verdict import (
    Enforcement,
    Finding,
    HistoryDiff,
    Policy,
    Problem,
    Reason,
    ResolvedFinding,
    ScanResult,
    Severity,
    Status,
    Waiver,
    finding_key,
)

__all__ = ["Adequacy", "Certification", "Classification", "DataLink", "Enforcement", "Entity", "Finding", "Flow", "FlowKind", "HistoryDiff", "Host", "Law", "Location", "Origin", "Placement", "Policy", "Problem", "Reason", "ResolvedFinding", "Resource", "ScanResult", "Severity", "SourceKind", "SourceRef", "Status", "Waiver", "finding_key"]
