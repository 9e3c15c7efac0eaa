"""The expression evaluator (sources/hcleval.py), tested directly on parsed expressions.

A small real scope (``Vars``) stands for a module instance: variables and locals with the
provenance steps a module instance would append; everything else the evaluator decides.
"""

from __future__ import annotations

import pytest

from sovpolicy.sources.hcleval import (
    Evaluator,
    Sensitive,
    Step,
    Unknown,
    apply_type,
    constant,
    describe,
    plain,
    redact,
    references,
)
from sovpolicy.sources.hclsyntax import parse_expression


class Vars:
    """A module instance's scope reduced to variables, locals and each/count."""

    def __init__(self, variables=None, locals_=None, instance=None):
        self.variables = variables or {}
        self.locals = locals_ or {}
        self.inst = instance or {}

    def variable(self, name, trace):
        if name not in self.variables:
            return Unknown(f"variable {name!r} is not declared", error=True)
        trace.append(Step("variable", f"vars.tf:1 var.{name}"))
        return self.variables[name]

    def local(self, name, trace):
        trace.append(Step("local", f"locals.tf:1 local.{name}"))
        return self.locals.get(name, Unknown(f"local.{name} is not declared", error=True))

    def resource(self, rtype, name, steps, trace):
        return Unknown(f"{rtype}.{name} is known only after apply"), 1

    def module_output(self, name, steps, trace):
        return Unknown(f"module.{name} is not read"), 1

    def instance(self):
        return self.inst

    def path(self, which):
        return "." if which in ("module", "root", "cwd") else Unknown(f"path.{which}", error=True)


def ev(text, scope=None, trace=None):
    return Evaluator(scope or Vars()).eval(parse_expression(text), trace if trace is not None else [])


@pytest.mark.parametrize(("text", "value"), [
    ('"eu-west-3"', "eu-west-3"),
    ("3 + 4 * 2", 11),
    ("10 % 4 == 2 && !false", True),
    ('"${"eu"}-west-${3}"', "eu-west-3"),
    ('true ? "a" : "b"', "a"),
    ('[for s in ["a", "b"] : upper(s)]', ["A", "B"]),
    ('{for k, v in {a = 1, b = 2} : v => k if v > 1}', {"2": "b"}),
    ('{a = {b = ["x", "y"]}}.a.b[1]', "y"),
    ('merge({a = 1}, {b = 2}, {a = 3})', {"a": 3, "b": 2}),
    ('lookup({a = "x"}, "b", "fallback")', "fallback"),
    ('coalesce("", "eu-west-3")', "eu-west-3"),
    ('format("%s-%d", "eu-west", 3)', "eu-west-3"),
    ('join("-", ["eu", "west", "3"])', "eu-west-3"),
    ('element(["a", "b", "c"], 4)', "b"),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    ('flatten([["a"], ["b", ["c"]]])', ["a", "b", "c"]),
    ('try(local.missing, "default")', "default"),
    ('can(local.missing)', False),
    ('replace("eu_west_3", "_", "-")', "eu-west-3"),
    ('length(toset(["a", "a", "b"]))', 2),
])
def test_values(text, value):
    assert ev(text, Vars(locals_={})) == value


def test_variables_and_locals_leave_their_steps():
    trace: list[Step] = []
    got = ev('"${var.prefix}-${local.n}"', Vars({"prefix": "eu-west"}, {"n": 3}), trace)
    assert got == "eu-west-3"
    assert [s.kind for s in trace] == ["variable", "local"]


@pytest.mark.parametrize(("text", "reason", "error"), [
    ("var.nope", "variable 'nope' is not declared", True),
    ("data.aws_region.current.name", "data.aws_region.current.name is a data source", False),
    ("aws_s3_bucket.b.region", "aws_s3_bucket.b is known only after apply", False),
    ("terraform.workspace", "terraform.workspace is chosen when Terraform runs", False),
    ('regex("a", "b")', "function regex() is not evaluated by sovpolicy", False),
    ('provider::aws::arn_parse("x")', "provider-defined function provider::aws::arn_parse is not evaluated", False),
    ('{a = 1}.b', "no attribute 'b'", True),
    ('["a"][3]', "index 3 out of range", True),
    ('"a" + 1', "cannot compute 'a' + 1", True),
    ("each.key", "each is used outside a block with for_each", True),
])
def test_what_cannot_be_known_says_why(text, reason, error):
    got = ev(text)
    assert isinstance(got, Unknown)
    assert reason in got.reason and got.error is error


def test_unknown_propagates_but_a_known_branch_wins():
    scope = Vars({"region": Unknown("no value in the source")})
    assert ev('"${var.region}-x"', scope) == Unknown("no value in the source")
    assert ev('upper(var.region)', scope) == Unknown("no value in the source")
    # both branches agree: the condition does not matter
    assert ev('var.region == "x" ? "eu-west-3" : "eu-west-3"', scope) == "eu-west-3"
    cond = ev('var.region == "x" ? "a" : "b"', scope)
    assert isinstance(cond, Unknown) and "the condition" in cond.reason
    # coalesce sees unknown arguments itself
    assert ev('coalesce("", "b")', scope) == "b"


def test_sensitive_values_stay_marked_and_are_redacted():
    scope = Vars({"secret": Sensitive("eu-west-3"), "plain": "x"})
    got = ev('"${var.plain}/${var.secret}"', scope)
    assert got == Sensitive("x/eu-west-3")
    assert plain(got) == ("x/eu-west-3", True)
    assert redact({"a": got, "b": [Sensitive(1), 2]}) == {"a": "(sensitive)", "b": ["(sensitive)", 2]}
    assert isinstance(ev("upper(var.secret)", scope), Sensitive)


def test_each_and_count_bindings():
    scope = Vars(instance={"each": {"key": "paris", "value": {"region": "eu-west-3"}}, "count": {"index": 1}})
    assert ev("each.value.region", scope) == "eu-west-3"
    assert ev('"${each.key}-${count.index}"', scope) == "paris-1"


def test_constants_may_refer_to_nothing():
    assert constant(parse_expression('{a = "x", b = [1, 2]}')) == {"a": "x", "b": [1, 2]}
    got = constant(parse_expression("var.region"))
    assert isinstance(got, Unknown) and got.error


def test_optional_attributes_get_their_defaults():
    type_expr = parse_expression('object({region = optional(string, "eu-west-3"), zones = optional(list(string))})')
    assert apply_type({}, type_expr) == {"region": "eu-west-3", "zones": None}
    assert apply_type({"region": "eu-central-1"}, type_expr) == {"region": "eu-central-1", "zones": None}
    assert apply_type([{}], parse_expression('list(object({r = optional(string, "x")}))')) == [{"r": "x"}]


def test_describe_and_references():
    expr = parse_expression('merge(var.tags, {region = aws_s3_bucket.b["k"].region})')
    assert describe(expr) == "merge(...)"
    assert describe(parse_expression('var.regions["paris"]')) == 'var.regions["paris"]'
    assert references(expr) == [["var", "tags"], ["aws_s3_bucket", "b", "region"]]


def test_deep_nesting_is_unknown_not_a_crash():
    got = ev("(" * 400 + "1" + ")" * 400)
    assert got == 1 or isinstance(got, Unknown)
