"""Application services: what the command line and the app do with data, without Qt.

Each module is one use case over the store and the domain: the command line (``cli``, with its
progress bars in ``cli_progress``), imports in a child process (``import_process``), downloads from
police.uk (``fetch``), the disparity dashboard (``disparity``), review packs (``commands_export``, with
their chart and report renderers in ``pack_charts``) and the demo database (``demo``). The layers are an
import-linter contract (pyproject.toml): ui > services > store > io > domain.
"""
