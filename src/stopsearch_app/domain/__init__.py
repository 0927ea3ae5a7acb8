"""Pure domain logic: canonical records, vocabularies, child identification, charter rules, statistics.

Nothing here imports Qt, SQLAlchemy or the I/O layer (enforced by import-linter in ``make test``).
"""
