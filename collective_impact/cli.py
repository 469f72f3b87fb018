"""The command line: ``collective-impact`` (also ``python -m collective_impact``).

Exit codes: 0 ok, 1 a problem the user can fix (a message says which), 2 usage error.
Errors of the :class:`~collective_impact.errors.CollectiveImpactError` family are printed
as messages, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from collective_impact.errors import CollectiveImpactError, InputError
from collective_impact.i18n import LANGS, t
from collective_impact.paths import resolve_store

Handler = Callable[[argparse.Namespace], int]


def _print_problems(err: InputError, lang: str) -> None:
    for problem in err.problems:
        print("  - " + problem.describe(lang), file=sys.stderr)
    print(t("cli.problems_total", lang, n=len(err.problems)), file=sys.stderr)


def cmd_template(args: argparse.Namespace) -> int:
    from collective_impact.io import write_template

    write_template(args.out, lang=args.lang)
    print(t("cli.template_written", args.lang, path=args.out))
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from collective_impact.demo import write_demo_workbook

    write_demo_workbook(args.out, lang=args.lang)
    print(t("cli.demo_written", args.lang, path=args.out))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from collective_impact.validation import load_files

    try:
        tables = load_files(args.files, lang=args.lang)
    except InputError as err:
        print(t("cli.validate_failed", args.lang, files=", ".join(map(str, args.files))), file=sys.stderr)
        _print_problems(err, args.lang)
        return 1
    counts = ", ".join(f"{len(frame)} {name}" for name, frame in tables.items() if len(frame))
    print(t("cli.validate_ok", args.lang, files=", ".join(map(str, args.files)), counts=counts))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from collective_impact.store import Store
    from collective_impact.validation import load_files

    try:
        tables = load_files(args.files, lang=args.lang)
    except InputError as err:
        print(t("cli.import_refused", args.lang), file=sys.stderr)
        _print_problems(err, args.lang)
        return 1
    store = Store(resolve_store(args.store), lang=args.lang)
    summary = store.import_tables(tables)
    print(summary.describe(args.lang))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from collective_impact.store import Store

    store = Store(resolve_store(args.store), create=False, lang=args.lang)
    store.export_workbook(args.out, lang=args.lang)
    print(t("cli.export_written", args.lang, path=args.out, store=store.path))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from collective_impact.store import Store

    store = Store(resolve_store(args.store), create=False, lang=args.lang)
    print(store.describe(args.lang))
    return 0


def _french_help(parser: argparse.ArgumentParser) -> None:
    parser._optionals.title = "options"
    parser._positionals.title = "arguments"
    parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collective-impact",
        description="Évaluer des démarches d'impact collectif / Evaluate collective impact initiatives.",
        add_help=False,
    )
    _french_help(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, add_help=False)
        _french_help(p)
        p.add_argument("--lang", choices=LANGS, default="fr", help="langue des messages (fr, en)")
        p.set_defaults(handler=handler)
        return p

    def add_store(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", help="base d'évaluation (défaut : $COLLECTIVE_IMPACT_STORE ou data/evaluation.sqlite)")

    p = add("template", cmd_template, "écrire le classeur de saisie vierge")
    p.add_argument("out", help="fichier .xlsx à écrire")
    p = add("demo-data", cmd_demo_data, "écrire le classeur des territoires de démonstration")
    p.add_argument("out", help="fichier .xlsx à écrire")
    p = add("validate", cmd_validate, "vérifier des classeurs ou dossiers CSV sans rien importer")
    p.add_argument("files", nargs="+", help="classeurs .xlsx ou dossiers de fichiers CSV")
    p = add("import", cmd_import, "vérifier puis importer dans la base d'évaluation (tout ou rien)")
    p.add_argument("files", nargs="+", help="classeurs .xlsx ou dossiers de fichiers CSV")
    add_store(p)
    p = add("export", cmd_export, "réécrire la base d'évaluation sous forme de classeur de saisie")
    p.add_argument("out", help="fichier .xlsx à écrire")
    add_store(p)
    p = add("summary", cmd_summary, "résumer le contenu de la base d'évaluation")
    add_store(p)
    for extra in _EXTRA_COMMANDS:
        extra(sub, add, add_store)
    return parser


# Commands added by other modules of the package: each is a function
# (subparsers, add, add_store) -> None that registers its subcommand.
_EXTRA_COMMANDS: list[Callable] = []


def _load_extra_commands() -> None:
    import importlib

    for module in ("collective_impact.metrics.cli", "collective_impact.report.execute", "collective_impact.report.batch",
                   "collective_impact.apps.server"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name == module:
                continue
            raise
        register = getattr(mod, "register_command", None)
        if register is not None and register not in _EXTRA_COMMANDS:
            _EXTRA_COMMANDS.append(register)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    _load_extra_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except InputError as err:
        print(str(err), file=sys.stderr)
        _print_problems(err, args.lang)
        return 1
    except CollectiveImpactError as err:
        print(f"{t('common.error', args.lang)} : {err}" if args.lang == "fr" else f"Error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(t("cli.interrupted", args.lang), file=sys.stderr)
        return 130
