"""The head's summary: its models, the text, the chart and the spreadsheet (no I/O but bytes out)."""
