import sys

from wxcore.adapters.cli import main

sys.exit(main())
