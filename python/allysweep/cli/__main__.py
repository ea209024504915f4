"""``python -m allysweep.cli``: the ``allysweep`` command."""

import sys

from .main import main

sys.exit(main())
