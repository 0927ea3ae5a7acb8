from entry import run

from stopsearch_app.ui.app import main

run(main)
