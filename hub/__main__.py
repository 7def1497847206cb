from hub.cli.main import main

raise SystemExit(main())
