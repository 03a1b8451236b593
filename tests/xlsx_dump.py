"""Reads one .xlsx with openpyxl and prints it as JSON for tests/xlsx.rs:
each sheet's frozen cell, column widths and every non-empty row as
[type, value] cells (type: str, int, float, datetime)."""
import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
sheets = []
for ws in book.worksheets:
    rows = []
    for row in ws.iter_rows():
        cells = []
        for c in row:
            v = c.value
            if v is None:
                cells.append(["none", None])
            elif hasattr(v, "isoformat"):
                cells.append(["datetime", v.isoformat()])
            else:
                cells.append([type(v).__name__, v])
        while cells and cells[-1][0] == "none":
            cells.pop()
        rows.append(cells)
    # openpyxl groups neighbouring columns of one width into one range.
    widths = {}
    for d in ws.column_dimensions.values():
        if d.width:
            for i in range(d.min, d.max + 1):
                widths[openpyxl.utils.get_column_letter(i)] = d.width
    sheets.append({"name": ws.title, "freeze": ws.freeze_panes, "widths": widths, "rows": rows})
json.dump(sheets, sys.stdout)
