"""``python -m app`` runs the livegate command."""

import sys

from app.cli import main

sys.exit(main())
