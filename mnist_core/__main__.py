import sys

from .tf_notices import import_tensorflow_quietly

import_tensorflow_quietly()  # before anything else imports it: its start-up notices stay off the terminal

from .cli import main  # noqa: E402

sys.exit(main())
