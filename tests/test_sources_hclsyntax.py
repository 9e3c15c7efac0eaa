"""The HCL syntax reader: valid Terraform that python-hcl2 trips on, comments, JSON syntax, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import corpus_dir

from sovpolicy.sources.hclsyntax import BinOp, Call, Cond, GetAttr, Lit, Obj, Raw, Tmpl, Var, parse_native, parse_source


def attrs(text: str) -> dict:
    parsed = parse_native(text)
    assert parsed.error is None, parsed.error
    return {k: a.expr for k, a in parsed.body.attrs.items()}


def test_multi_line_conditional_and_leading_operators_in_parentheses():
    got = attrs('''
x = (
  var.a == "b"
  && var.c
  || var.d
)
y = var.big ? (
  3650
  ) : (
  7
)
''')
    assert isinstance(got["x"], BinOp) and got["x"].op == "||"
    assert got["x"].left == BinOp("&&", BinOp("==", GetAttr(Var("var"), "a"), Lit("b")), GetAttr(Var("var"), "c"))
    assert got["y"] == Cond(GetAttr(Var("var"), "big"), Lit(3650), Lit(7))


def test_heredocs_empty_quoted_own_delimiter_and_indented_json():
    got = attrs('''
empty = <<EOT
EOT
quoted = <<EOT
say "EOT" and 'x'
EOT is not the end either
EOT
policy = <<-JSON
    {
      "Version": "2012-10-17",
      "Statement": []
    }
  JSON
''')
    assert got["empty"] == Lit("")
    assert got["quoted"] == Lit("say \"EOT\" and 'x'\nEOT is not the end either\n")
    assert got["policy"] == Lit('{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n')


def test_heredoc_with_interpolation_is_kept_as_text():
    got = attrs('p = <<EOT\narn:aws:s3:::${var.bucket}/*\nEOT\n')
    assert isinstance(got["p"], Raw) and "${var.bucket}" in got["p"].text


def test_keyword_named_attribute_and_provider_defined_function():
    got = attrs('''
o = { for = "x", in = 1 }
arn = provider::aws::arn_parse(var.role).account_id
''')
    assert got["o"] == Obj([Lit("for"), Lit("in")], [Lit("x"), Lit(1)])
    assert got["arn"] == GetAttr(Call("provider::aws::arn_parse", [GetAttr(Var("var"), "role")]), "account_id")


def test_block_comment_between_equals_and_value_and_between_labels():
    parsed = parse_native('''resource "aws_x" "y" /* between labels and brace */ {
  days = /* one month */ 30
  multi = /* spans
  two lines */ 4
  after = 5
}
''')
    assert parsed.error is None
    (block,) = parsed.body.blocks
    assert block.labels == ["aws_x", "y"]
    assert {k: (a.expr, a.line) for k, a in block.body.attrs.items()} == {
        "days": (Lit(30), 2), "multi": (Lit(4), 3), "after": (Lit(5), 5)}


def test_comments_are_kept_with_their_lines_for_waivers():
    parsed = parse_native('''# sovpolicy:waive SOV-HDS-002 reason="x"
resource "aws_s3_bucket" "b" { # trailing
  // inside
  bucket = "not # a comment // at all" /* after */
}
''')
    assert [(c.line, c.text) for c in parsed.comments] == [
        (1, '# sovpolicy:waive SOV-HDS-002 reason="x"'), (2, "# trailing"), (3, "// inside"), (4, "/* after */")]
    assert parsed.body.blocks[0].body.attrs["bucket"].expr == Lit("not # a comment // at all")


def test_bom_crlf_escapes_and_templates():
    parsed = parse_source('\ufeffa = "Sant\\u00e9 $${lit}"\r\nb = "${var.x}-${upper("y")}"\r\n'.encode(), "x.tf")
    assert parsed.error is None
    assert parsed.body.attrs["a"].expr == Lit("Santé ${lit}")
    assert parsed.body.attrs["b"].expr == Tmpl([GetAttr(Var("var"), "x"), Lit("-"), Call("upper", [Lit("y")])])
    assert parsed.body.attrs["b"].line == 2


def test_unclosed_block_is_reported_where_it_opens():
    parsed = parse_native('resource "a_b" "c" {\n  x = 1\n  tags = {\n    k = "v"\n  }\n')
    assert parsed.error is not None
    assert (parsed.error.line, parsed.error.column) == (1, 20)
    assert "never closed" in parsed.error.message


def test_bad_token_names_line_column_and_token():
    parsed = parse_native('a = 1\nb = \u201cquoted\u201d\n')
    assert parsed.error is not None and (parsed.error.line, parsed.error.column) == (2, 5)
    # the odd character is shown, the word is not (it may be a value: issue 12, leaks)
    assert "'\u201c' at the start of a" in parsed.error.message and "\n" not in parsed.error.message
    assert "quoted" not in parsed.error.message


def test_json_syntax_blocks_templates_comments_and_lines():
    text = '''{
  "//": "made by hand",
  "resource": {
    "azurerm_storage_account": {
      "archive": {
        "//": "GZRS",
        "location": "${azurerm_resource_group.hub.location}",
        "provider": "azurerm.research",
        "tags": {"data_classification": "health"}
      }
    }
  }
}'''
    parsed = parse_source(text.encode(), "archive.tf.json")
    assert parsed.error is None
    (block,) = parsed.body.blocks
    assert (block.type, block.labels, block.line) == ("resource", ["azurerm_storage_account", "archive"], 5)
    body = block.body.attrs
    assert body["location"].expr == GetAttr(GetAttr(Var("azurerm_resource_group"), "hub"), "location")
    assert body["provider"].expr == GetAttr(Var("azurerm"), "research")
    assert body["location"].line == 7
    assert parsed.comments[0].text == "made by hand"


def test_json_syntax_error_has_line_and_column():
    parsed = parse_source(b'{\n  "variable": {\n}', "bad.tf.json")
    assert parsed.error is not None and parsed.error.line == 3


def test_not_utf8_is_a_problem_not_a_crash():
    parsed = parse_source(b'a = "\xff"\n', "latin1.tf")
    assert parsed.error is not None and "UTF-8" in parsed.error.message


CORPUS_INVALID = {
    "broken-and-edge/zz_invalid_unclosed_block.tf": (6, 40),
    "broken-and-edge/zz_invalid_bad_token.tf": (8, 12),
}


def test_every_corpus_file_parses_or_is_reported_with_its_line():
    root = corpus_dir("hcl")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")))
    assert len(files) > 130
    failed = {}
    for path in files:
        parsed = parse_source(path.read_bytes(), path.name)
        if parsed.error is not None:
            failed[path.relative_to(root).as_posix()] = (parsed.error.line, parsed.error.column)
    assert failed == CORPUS_INVALID


def test_corpus_edge_files_read_as_terraform_reads_them():
    root = corpus_dir("hcl") / "broken-and-edge"
    comments = parse_source((root / "comments.tf").read_bytes(), "comments.tf")
    (block,) = comments.body.blocks
    assert block.labels == ["aws_cloudwatch_log_group", "commented"]
    assert block.body.attrs["retention_in_days"].expr == Lit(30)
    before = parse_source((root / "comment_before_value.tf").read_bytes(), "comment_before_value.tf")
    assert before.error is None
    strings = parse_source((root / "strings.tf").read_bytes(), "strings.tf").body.blocks[0].body.attrs
    assert strings["literal_dollar"].expr == Lit("Price: ${amount} (not interpolated)")
    assert strings["unicode_escape"].expr == Lit("Santé publique")
    assert strings["trimmed"].expr == Call("trimspace", [Lit("first line\n  indented line\nlast line\n")])


@pytest.mark.parametrize("name", ["bom_utf8.tf", "crlf_line_endings.tf", "empty.tf", "only_comments.tf"])
def test_corpus_odd_files_parse(name):
    path = corpus_dir("hcl") / "broken-and-edge" / name
    assert parse_source(Path(path).read_bytes(), name).error is None
