"""``python -m app.cli``: what `dalili` runs (the supervisor starts its worker children this way)."""

from app.cli import main

main()
