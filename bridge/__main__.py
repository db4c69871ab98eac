"""``python -m bridge`` does what the ``musicgen-bridge`` command does."""

import sys

from bridge.cli import main

sys.exit(main())
