"""The README shows the policy table as it stands (the closing note copies it from there)."""

from pathlib import Path

from salesops.policy import policy_table_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_shows_the_policy_table_as_it_stands():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- policy-table")
    table = text[text.index("\n", start) + 1:text.index("<!-- /policy-table -->")]
    assert table.strip() == policy_table_markdown().strip()
