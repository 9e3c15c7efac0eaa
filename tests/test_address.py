import pytest

from sovpolicy.address import parse_address
from sovpolicy.errors import InputError


def test_nested_modules_with_string_keys_holding_dots_and_brackets():
    a = parse_address('module.a["k.x[0]"].module.b[0].aws_s3_bucket.x["eu \\"west\\""]')
    assert a.modules == (("a", '"k.x[0]"'), ("b", "0"))
    assert (a.mode, a.type, a.name, a.key) == ("managed", "aws_s3_bucket", "x", '"eu \\"west\\""')
    assert a.module_path == "module.a.module.b"
    assert a.module_instance == 'module.a["k.x[0]"].module.b[0]'
    assert a.config_address == "aws_s3_bucket.x"


def test_data_source_in_module():
    a = parse_address("module.net.data.aws_region.current")
    assert (a.mode, a.type, a.name, a.key, a.module_path) == ("data", "aws_region", "current", None, "module.net")


def test_root_resource_with_count_index():
    a = parse_address("aws_instance.web[3]")
    assert (a.modules, a.type, a.name, a.key) == ((), "aws_instance", "web", "3")


@pytest.mark.parametrize("bad", ["aws_s3_bucket", 'aws_s3_bucket.x["eu', "aws_s3_bucket.x[abc]", "module..x.y"])
def test_malformed_addresses_are_input_errors(bad):
    with pytest.raises(InputError):
        parse_address(bad)
