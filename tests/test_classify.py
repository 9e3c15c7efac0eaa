from __future__ import annotations

from sovpolicy.classify import Classifier
from sovpolicy.config import ClassRule, Config
from sovpolicy.model import Origin, Placement, Resource, SourceKind

P = Placement("aws", "eu-west-3", Origin.PROVIDER)


def res(address="aws_s3_bucket.x", tags=None, rtype="aws_s3_bucket", placement=P):
    return Resource(address, rtype, SourceKind.PLAN, placement, tags=tags or {})


def test_default_tag_keys_and_values_any_spelling():
    c = Classifier(Config())
    for key in ("data_classification", "DataClassification", "data-classification", "DATA_CLASSIFICATION"):
        for value in ("health", "HDS", "phi"):
            assert c.classify(res(tags={key: value})).data_classes == {"health"}, (key, value)
    assert c.classify(res(tags={"data_classification": "internal"})).data_classes == frozenset()
    assert c.classify(res(tags={"data_classification": "pii,phi"})).data_classes == {"health", "personal"}


def test_configured_keys_replace_defaults():
    c = Classifier(Config(tag_keys=("sensitivity",), values={"health": ("medical",)}))
    assert c.classify(res(tags={"sensitivity": "medical"})).data_classes == {"health"}
    assert c.classify(res(tags={"data_classification": "health"})).data_classes == frozenset()


def test_rules_by_address_module_and_type_and_default():
    c = Classifier(Config(rules=(ClassRule("health", module="module.ehr"), ClassRule("health", type="aws_db_*"),
                                 ClassRule("personal", address="aws_s3_bucket.crm*")), default_classes=("internal",)))
    ehr = c.classify(res("module.ehr.module.db.aws_s3_bucket.a[0]"))
    assert ehr.data_classes == {"health", "internal"}
    assert "module=module.ehr" in ehr.classifications[0].reason
    assert c.classify(res("module.ehrx.aws_s3_bucket.a")).data_classes == {"internal"}
    assert c.classify(res("aws_db_instance.main", rtype="aws_db_instance")).data_classes == {"health", "internal"}
    assert c.classify(res('aws_s3_bucket.crm["eu"]')).data_classes == {"personal", "internal"}


def test_no_data_providers_are_never_classified():
    c = Classifier(Config(default_classes=("health",)))
    none = Placement(None, None, Origin.NONE, reason="hosts no data")
    assert c.classify(res("null_resource.x", rtype="null_resource", placement=none)).data_classes == frozenset()


def test_config_is_found_up_to_the_repository_root_only(tmp_path):
    from sovpolicy.config import find_config

    (tmp_path / ".sovpolicy.yaml").write_text("{}\n")  # above the repository: never used
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra" / "prod").mkdir(parents=True)
    plan = repo / "infra" / "prod" / "plan.json"
    plan.write_text("{}")
    assert find_config(plan) is None
    (repo / ".sovpolicy.yaml").write_text("{}\n")
    assert find_config(plan) == repo / ".sovpolicy.yaml"
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "plan.json").write_text("{}")
    assert find_config(loose / "plan.json") is None  # outside a repository: only its own directory


def test_resources_classified_alike_share_their_classifications(catalog):
    # read once per distinct tag, one tuple per distinct outcome (implied classes included)
    c = Classifier(Config(), catalog.implications)
    a, b, other = c.classify_all([res("aws_s3_bucket.a", {"data_classification": "phi,health"}),
                                  res("aws_s3_bucket.b", {"data_classification": "phi,health"}),
                                  res("aws_s3_bucket.c", {"data_classification": "pii"})])
    assert a.classifications is b.classifications
    assert [(x.data_class, x.reason) for x in a.classifications][:2] == [
        ("health", "tag data_classification=phi,health"),
        ("personal", "implied by health (tag data_classification=phi,health): data concerning health is a special "
                     "category of personal data (GDPR art. 9)")]
    assert other.data_classes == {"personal"}
    assert (a.address, b.address) == ("aws_s3_bucket.a", "aws_s3_bucket.b")
