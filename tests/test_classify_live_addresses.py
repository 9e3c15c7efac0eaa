"""Resources whose address is not a Terraform address (an ARN, an Azure resource ID):
classification rules by module path and CEL policies work on them."""

from __future__ import annotations

from pathlib import Path

from sovpolicy.classify import Classifier
from sovpolicy.config import ClassRule, Config
from sovpolicy.model import Enforcement, Origin, Placement, Policy, Resource, Severity, SourceKind, Status
from sovpolicy.policy import evaluate

ARN = "arn:aws:s3:::hospital-records"
AZURE_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/records"


def _live(address: str, rtype: str = "aws_s3_bucket", cloud: str = "aws", region: str = "eu-west-3") -> Resource:
    return Resource(address=address, type=rtype, source=SourceKind.AWS, module="", input="aws:111122223333",
                    placement=Placement(cloud, region, Origin.OBSERVED, ("s3:GetBucketLocation",)))


def test_module_rules_on_live_addresses_do_not_crash_and_match_the_root():
    config = Config(rules=(ClassRule("health", module="module.ehr"), ClassRule("personal", type="aws_s3_*")))
    [res] = Classifier(config).classify_all([_live(ARN)])
    assert res.module_path == "" and res.data_classes == frozenset({"personal"})
    [az] = Classifier(config).classify_all([_live(AZURE_ID, "azurerm_storage_account", "azure", "francecentral")])
    assert az.module_path == "" and az.data_classes == frozenset()


def test_cel_policy_on_an_arn(catalog):
    config = Config(rules=(ClassRule("health", address="arn:aws:s3:::hospital-*"),))
    [res] = Classifier(config).classify_all([_live(ARN)])
    policy = Policy(id="ORG-ARN-001", pack="org", title="bucket names carry the project", description="",
                    severity=Severity.HIGH, enforcement=Enforcement.SOFT_MANDATORY, data_classes=frozenset({"health"}),
                    types=(), require=(("cel", {"expr": 'resource.address.startsWith("arn:aws:s3:::hospital-") && resource.module_path == ""'}),),
                    unresolved="block", remediation="", references=(), path=Path("ORG-ARN-001.yaml"))
    from sovpolicy.catalog import resolve_host

    host = resolve_host(catalog, res.placement, res.type)
    finding = evaluate(policy, res, host, catalog, catalog.as_of)
    assert finding is not None and finding.status is Status.PASS and finding.address == ARN
