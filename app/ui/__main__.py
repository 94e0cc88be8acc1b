"""`python -m app.ui`: the same as the `fer-companion` command."""

import sys

from .main import main

sys.exit(main())
