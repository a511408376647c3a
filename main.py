"""The one entry point: python main.py <command> ... (see README.md and DESIGN.md, "Commands").

Each command lives in its own module, which exposes `add_parser(subparsers)`; the parser sets
`func(args) -> int`. Bad input raises an input error, printed here as one line with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# The modules of the commands, in the order `--help` lists them.
COMMANDS = (
    "ui.command",
    "dms.commands.replay",
    "dms.commands.report",
    "dms.commands.batch",
    "dms.commands.score",
    "dms.commands.classify",
    "dms.commands.bench",
    "ui.bench_gui",
    "dms.commands.export_dataset",
    "models.commands.train",
    "dms.commands.evaluate",
    "dms.commands.eval_perception",
    "models.commands.train_detector",
    "models.commands.eval_detector",
    "models.commands.export_onnx",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Driver-monitoring system")
    parser.add_argument("--help-settings", action="store_true",
                        help="list every setting of a settings file with its unit and meaning")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser




def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    # --help-settings also after a command (`replay --help-settings`), as --help is
    args = parser.parse_args(argv or ["gui"]) if "--help-settings" not in argv else None
    if args is None or args.help_settings:
        from dms.core.settings_help import help_text

        print(help_text())
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from dms.commands.native_log import native_log
    from dms.core.errors import InputError, model_errors_as_input_errors

    try:
        with native_log(), model_errors_as_input_errors():  # the models' own input errors too
            return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
