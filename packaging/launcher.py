"""Entry point of the PyInstaller bundle: the same `main` as the `fer-companion` script."""

import sys

from app.ui.main import main

if __name__ == "__main__":
    sys.exit(main())
