"""The one entry point: `civicgrid demo`, `civicgrid serve`, `civicgrid worker`,
`civicgrid import …`, `civicgrid export …`, and every Django management command."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "civicgrid"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
