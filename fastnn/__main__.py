"""``python -m fastnn``: the ``fastnn`` command line (see ``fastnn.cli``)."""
import sys

from .cli import main

sys.exit(main())
