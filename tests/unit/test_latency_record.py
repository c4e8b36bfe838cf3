"""The latency record's columns are defined once (mlalab.measure.latency_record): the tables copy its list and
docs/columns.md shows its table, so a column added in one place only fails here."""

from mlalab.measure.latency_record import LATENCY_COLUMNS, LATENCY_RECORD, markdown
from tests.conftest import ROOT


def _documented_table() -> str:
    text = (ROOT / "docs" / "columns.md").read_text()
    section = text[text.index("## The latency record"):]
    start = section.index("| column | meaning |")
    return section[start:section.index("\n\n", start)] + "\n"


def test_docs_columns_md_shows_the_record_definition():
    # regenerate the table with: python -m mlalab.measure.latency_record
    assert _documented_table() == markdown(), "docs/columns.md's latency table differs from latency_record.py"


def test_each_column_is_defined_once_and_has_a_meaning():
    names = [n for g in LATENCY_RECORD for n in g.names]
    assert len(names) == len(set(names)) and all(g.meaning.strip() for g in LATENCY_RECORD)
    assert set(LATENCY_COLUMNS) <= set(names) and len(LATENCY_COLUMNS) == len(set(LATENCY_COLUMNS))

