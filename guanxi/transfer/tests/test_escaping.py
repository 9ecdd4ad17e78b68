"""Exported cells never start a formula, in CSV and XLSX (property tests)."""

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.transfer.escaping import FORMULA_STARTS, safe_cell, xlsx_cell
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
def test_xlsx_cells_are_text_never_formulas(values):
    from openpyxl import load_workbook

    writer = XlsxWriter()
    writer.row(values)
    sheet = load_workbook(io.BytesIO(writer.finish())).active
    cells = next(sheet.iter_rows())
    for cell, value in zip(cells, values, strict=True):
        assert cell.data_type != "f"
        text = cell.value or ""
        assert not str(text).startswith(FORMULA_STARTS)
        # XML keeps line ends as \n: a carriage return inside a text reads back as one.
        expected = xlsx_cell(value).replace("\r\n", "\n").replace("\r", "\n")
        assert text.replace("\r", "\n") == expected or (text == "" and expected == "")


def test_numbers_stay_numbers():
    assert safe_cell(-5) == -5
    assert safe_cell(None) == ""
