"""Data-set parsers: one module per annotation format, each returning `Clip` records."""
