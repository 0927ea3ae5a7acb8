"""Stop and Search Charter compliance for searches of children: import, check, chart, review."""

__version__ = "0.1.0"
