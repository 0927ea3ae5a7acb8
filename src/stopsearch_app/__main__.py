from stopsearch_app.ui.app import main

raise SystemExit(main())
