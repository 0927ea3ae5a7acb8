from entry import run

from stopsearch_app.services.cli import entry_point

run(entry_point)
