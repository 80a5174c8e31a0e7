"""`python -m bot` is the `crisisbot` command."""

from bot.cli import main

raise SystemExit(main())
