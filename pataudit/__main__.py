from pataudit.cli import main

raise SystemExit(main())
