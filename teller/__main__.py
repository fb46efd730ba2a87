import sys

from teller.cli import main

sys.exit(main())
