"""Exported cells never start a formula, in CSV and XLSX (property tests)."""

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.transfer.escaping import _ILLEGAL, FORMULA_STARTS, safe_cell
from guanxi.transfer.writers import CsvWriter, XlsxWriter

texts = st.text(max_size=40) | st.sampled_from(
    ["=1+2", "+86 138", "-2", "@SUM(A1)", "\t=x", "\r=x", '=HYPERLINK("http://x")', "\x01=x"]
)


@given(texts)
def test_safe_cell_never_starts_a_formula(value):
    out = safe_cell(value)
    assert not out.startswith(FORMULA_STARTS)
    # Nothing is lost: the apostrophe is the only change.
    assert out in (value, "'" + value)


@given(st.lists(texts, min_size=1, max_size=5))
def test_csv_cells_read_back_never_start_a_formula(values):
    writer = CsvWriter()
    writer.row(values)
    text = writer.finish().decode("utf-8-sig")
    row = next(csv.reader(io.StringIO(text, newline="")))
    assert len(row) == len(values)
    for cell, value in zip(row, values, strict=True):
        assert not cell.startswith(FORMULA_STARTS)
        assert cell in (value, "'" + value)


@settings(deadline=None, max_examples=60)  # a workbook per example: slow on a shared machine
@given(st.lists(texts, min_size=1, max_size=5))
def test_xlsx_cells_are_text_never_formulas_and_keep_their_value(values):
    """A cell that begins like a formula is a text cell with Excel's quote prefix: no
    apostrophe in the value (Excel would show it, and a copied phone would carry it)."""
    from openpyxl import load_workbook

    writer = XlsxWriter()
    writer.row(values)
    sheet = load_workbook(io.BytesIO(writer.finish())).active
    cells = next(sheet.iter_rows())
    for cell, value in zip(cells, values, strict=True):
        assert cell.data_type != "f"
        text = cell.value or ""
        # XML keeps line ends as \n: a carriage return inside a text reads back as one;
        # characters XML cannot hold are dropped.
        expected = _ILLEGAL.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
        assert str(text).replace("\r", "\n") == expected or (text == "" and expected == "")
        if expected.startswith(FORMULA_STARTS):
            assert cell.data_type == "s" and cell.quotePrefix


def test_report_workbooks_keep_formula_like_texts_as_quoted_text():
    from openpyxl import load_workbook

    from guanxi.reports.export import to_xlsx

    data = to_xlsx(
        [
            {
                "title": "Chart",
                "table": {"columns": ["=name", "n"], "rows": [["+86 138 0013 8000", 3]]},
            }
        ]
    )
    sheet = load_workbook(io.BytesIO(data)).active
    (head, _n), (phone, three) = (row for row in sheet.iter_rows())
    assert (head.value, phone.value, three.value) == ("=name", "+86 138 0013 8000", 3)
    assert head.data_type == phone.data_type == "s" and head.quotePrefix and phone.quotePrefix


def test_numbers_stay_numbers():
    assert safe_cell(-5) == -5
    assert safe_cell(None) == ""
