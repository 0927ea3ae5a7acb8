from entry import run

from stopsearch_app.cli import main

run(main)
