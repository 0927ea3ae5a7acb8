from entry import run

from stopsearch_app.services.cli import main

run(main)
