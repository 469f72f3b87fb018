"""The command line: ``collective-impact`` (also ``python -m collective_impact``).

Every subcommand is listed in :func:`build_parser`, beside its handler (``cmd_<name>``).
A handler imports what it needs (pandas, the store, papermill, Voila) when it runs: this
module is the one place for such imports, so that ``collective-impact --help`` starts
without loading any of them.

Exit codes: 0 ok, 1 a problem the user can fix (a message says which), 2 usage error.
Errors of the :class:`~collective_impact.errors.CollectiveImpactError` family are printed
as messages, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence

from collective_impact.errors import CollectiveImpactError, InputError
from collective_impact.i18n import LANGS, t

Handler = Callable[[argparse.Namespace], int]

#: The columns the ``scores`` command prints: a **contract** (scripts read them).
#: ``band`` holds the band id (``force``, ``a_consolider``, ``vigilance``), empty when
#: nobody answered the condition.
SCORE_COLUMNS = ("territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg")
SCORE_FORMATS = ("table", "csv", "json")


def _print_problems(err: InputError, lang: str) -> None:
    """The errors, one line per cause, then the values to confirm under their own heading."""
    from collective_impact.i18n.format import format_count

    errors, warnings = err.errors, err.warnings
    _print_list(errors, lang)
    if errors:
        print(t("cli.problems_total", lang, problems=format_count(len(errors), "noun.problem", lang)), file=sys.stderr)
    if warnings:
        if errors:
            print(t("validation.cli.to_confirm", lang), file=sys.stderr)
        _print_list(warnings, lang)
        print(t("validation.cli.warnings_total", lang, warnings=format_count(len(warnings), "noun.warning", lang)),
              file=sys.stderr)


def _print_list(problems, lang: str) -> None:
    for problem in problems:
        print("  - " + problem.describe(lang), file=sys.stderr)


def _checked_files(args: argparse.Namespace, *, refused: str, to_confirm: str):
    """The files' tables, or ``None`` after printing why they are refused (errors, or warnings not accepted).

    ``refused`` and ``to_confirm``: the keys of the headline over the errors and over
    the values to confirm when they are all there is.

    Warnings accepted with ``--accept-warnings`` are printed, so that what goes in unusual is said.
    """
    from collective_impact.i18n.format import format_count
    from collective_impact.validation import check_files

    lang = args.lang
    tables, problems = check_files(args.files, lang=lang, dont_know=args.dont_know)
    err = InputError(problems)
    if err.errors:
        print(t(refused, lang, files=", ".join(map(str, args.files))), file=sys.stderr)
        _print_problems(err, lang)
        return None
    if err.warnings and not args.accept_warnings:
        print(t(to_confirm, lang, files=", ".join(map(str, args.files))), file=sys.stderr)
        _print_problems(err, lang)
        return None
    if err.warnings:
        print(t("validation.cli.warnings_accepted", lang,
                warnings=format_count(len(err.warnings), "noun.warning", lang)), file=sys.stderr)
        _print_list(err.warnings, lang)
    return tables


def _open_store(args: argparse.Namespace, *, create: bool = False, read_only: bool = False):
    """The store named by ``--store`` (or the default one); it must exist unless ``create``.

    ``read_only``: the commands that only read open it with SQLite's ``mode=ro``, so that
    they never create or modify a file (not even an empty one).
    """
    # paths imports the schema (pandas): here, not at the top, to keep --help fast
    from collective_impact.paths import resolve_store
    from collective_impact.store import Store

    return Store(resolve_store(args.store), create=create, read_only=read_only, lang=args.lang)


# --------------------------------------------------------------------------------------
# the handlers, in the order of the command table
# --------------------------------------------------------------------------------------


def cmd_template(args: argparse.Namespace) -> int:
    """``template OUT.xlsx``: the blank input workbook."""
    from collective_impact.io import write_template

    write_template(args.out, lang=args.lang)
    print(t("cli.template_written", args.lang, path=args.out))
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    """``demo-data OUT.xlsx``: the workbook of the demo territories."""
    from collective_impact.demo import write_demo_workbook

    write_demo_workbook(args.out, lang=args.lang)
    print(t("cli.demo_written", args.lang, path=args.out))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate FILE...``: every problem of the files, nothing imported.

    Exit 1 on any error, and on values to confirm unless ``--accept-warnings``: the
    answer is the one ``import`` with the same options would give (docs/validation.md).
    """
    tables = _checked_files(args, refused="cli.validate_failed", to_confirm="validation.cli.validate_warnings")
    if tables is None:
        return 1
    counts = ", ".join(f"{len(frame)} {name}" for name, frame in tables.items() if len(frame))
    print(t("cli.validate_ok", args.lang, files=", ".join(map(str, args.files)), counts=counts))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``import FILE...``: validate, then import in one transaction (all or nothing).

    A table the store holds for the file's territories but the file lacks is refused,
    unless ``--replace-only-present`` (keep it) or ``--clear TABLE`` (empty it) says so.
    """
    from collective_impact.i18n.format import format_count
    from collective_impact.io import match_table
    from collective_impact.schema import TABLE_ORDER, TABLES

    lang = args.lang
    clear = []
    for name in args.clear or []:
        table = match_table(name)
        if table is None:
            known = ", ".join(f"{TABLES[n].label(lang)} ({n})" for n in TABLE_ORDER)
            print(t("cli.unknown_table", lang, table=name, known=known), file=sys.stderr)
            return 2
        clear.append(table)
    tables = _checked_files(args, refused="cli.import_refused", to_confirm="validation.cli.import_to_confirm")
    if tables is None:
        return 1
    store = _open_store(args, create=True)
    mode = "present" if args.replace_only_present else "complete"
    if mode == "complete":
        # checked here for a message naming the options; import_tables checks again in its transaction
        lost = store.absent_tables(tables, clear=clear)
        if lost:
            print(t("cli.import_refused", lang), file=sys.stderr)
            for name, n in lost.items():
                print("  - " + t("cli.import_absent_table", lang, sheet=TABLES[name].label(lang),
                                          n=format_count(n, "noun.row", lang)), file=sys.stderr)
            print(t("cli.import_absent_hint", lang, table=TABLES[next(iter(lost))].label(lang)), file=sys.stderr)
            return 1
    summary = store.import_tables(tables, mode=mode, clear=clear)
    print(summary.describe(lang))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``export OUT.xlsx``: the store written back as an input workbook."""
    store = _open_store(args, read_only=True)
    store.export_workbook(args.out, lang=args.lang)
    print(t("cli.export_written", args.lang, path=args.out, store=store.path))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    """``summary``: what the store holds."""
    print(_open_store(args, read_only=True).describe(args.lang))
    return 0


def cmd_scores(args: argparse.Namespace) -> int:
    """``scores``: the condition scores of the store (or of one territory), as a table, CSV or JSON."""
    from collective_impact.metrics.assessment import condition_scores

    store = _open_store(args, read_only=True)
    territories = None
    if args.territory:
        territories = [store.require_territory(args.territory, lang=args.lang)]
    responses = store.load(["responses"], territories=territories)["responses"]
    frame = condition_scores(responses)[list(SCORE_COLUMNS)]
    if frame.empty and args.format == "table":
        print(t("cli.no_responses", args.lang, store=store.path))
        return 0
    if args.format == "table":
        text = scores_table(frame, args.lang)
    else:
        text = {"csv": scores_csv, "json": scores_json}[args.format](frame)
    print(text.rstrip("\n"))
    return 0


def scores_table(frame, lang: str = "fr") -> str:
    """Aligned text for a person: means and r_wg with 2 decimals as the report writes them, blanks for missing values.

    Scripts read ``--format csv`` or ``json`` (full precision, a decimal point).
    """
    import pandas as pd

    from collective_impact.i18n.format import format_number

    def fixed(value: float) -> str:
        return format_number(value, lang, decimals=2, missing="")

    shown = pd.DataFrame({
        "territory_id": frame["territory_id"].astype(str),
        "wave": frame["wave"].astype(str),
        "condition": frame["condition"].astype(str),
        "mean": frame["mean"].map(fixed),
        "n_respondents": frame["n_respondents"].astype(str),
        "band": frame["band"].fillna("").astype(str),
        "rwg": frame["rwg"].map(fixed),
    }, columns=list(SCORE_COLUMNS))
    widths = {c: max(len(c), *(len(v) for v in shown[c])) if len(shown) else len(c) for c in SCORE_COLUMNS}
    # Numbers align right, words left, as in a spreadsheet.
    right = {"wave", "mean", "n_respondents", "rwg"}

    def line(values: dict[str, str]) -> str:
        cells = [values[c].rjust(widths[c]) if c in right else values[c].ljust(widths[c]) for c in SCORE_COLUMNS]
        return "  ".join(cells).rstrip()

    lines = [line({c: c for c in SCORE_COLUMNS})]
    lines += [line(row) for row in shown.to_dict("records")]
    return "\n".join(lines)


def scores_csv(frame) -> str:
    """Comma-separated values with a header; floats at full precision, blanks for missing.

    Text cells a spreadsheet would read as a formula are written as text
    (:func:`~collective_impact.i18n.format.spreadsheet_text`).
    """
    from collective_impact.i18n.format import spreadsheet_text

    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype).startswith(("str", "string")):
            safe[column] = safe[column].map(spreadsheet_text)
    return safe.to_csv(index=False, lineterminator="\n")


def scores_json(frame) -> str:
    """A JSON list of records; missing values are ``null``."""
    import pandas as pd

    def plain(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        if hasattr(value, "item"):  # numpy scalar → Python scalar
            return value.item()
        return value

    records = [{c: plain(v) for c, v in row.items()} for row in frame.astype(object).to_dict("records")]
    return json.dumps(records, ensure_ascii=False, indent=2)


def cmd_report(args: argparse.Namespace) -> int:
    """``report ID``: one territory's evaluation notebook, run and exported as HTML (and PDF with ``--pdf``)."""
    from collective_impact.i18n.format import format_number
    from collective_impact.report.bundle import open_territory
    from collective_impact.report.execute import check_id, run_report
    from collective_impact.report.export import check_pdf_engine

    # check first (id, territory, wave, date, PDF engine), so that "running…" is not printed before a refusal
    check_id(args.territory, args.lang)
    open_territory(args.store, args.territory, lang=args.lang, wave=args.wave, as_of=args.as_of)
    if args.pdf:
        check_pdf_engine(args.lang)
    print(t("report.running", args.lang, territory=args.territory), file=sys.stderr, flush=True)
    result = run_report(args.territory, store_path=args.store, out_dir=args.out, lang=args.lang, wave=args.wave,
                        as_of=args.as_of, kernel_name=args.kernel, pdf=args.pdf)
    print(t("report.written", args.lang, html=result.html, notebook=result.notebook, seconds=format_number(result.duration, args.lang, decimals=1)))
    if result.pdf is not None:
        print(t("report.written_pdf", args.lang, pdf=result.pdf))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """``batch``: every territory's report, the comparison, the summary and the index."""
    from pathlib import Path

    from collective_impact.report.batch import run_batch

    result = run_batch(store_path=args.store, out_dir=args.out, territories=args.territories, workers=args.workers,
                       resume=args.resume, scheduler=args.scheduler, lang=args.lang, kernel_name=args.kernel,
                       pdf=args.pdf)
    lang = args.lang
    from collective_impact.i18n.format import format_count

    print(t("batch.done", lang, index=result.index, summary=result.summary,
            ok=format_count(result.count("ok"), "noun.report_written", lang),
            failed=format_count(result.count("failed"), "noun.report_failed", lang),
            skipped=format_count(result.count("skipped"), "noun.report_skipped", lang)))
    if result.comparison is not None and result.comparison.status == "failed":
        print(t("batch.comparison_failed", lang, error=result.comparison.error), file=sys.stderr)
    if result.interrupted:
        print(t("batch.interrupted", lang, n=format_count(result.count("ok"), "noun.report_kept", lang)), file=sys.stderr)
        return 130
    if result.failed:
        print(t("batch.some_failed", lang, n=format_count(len(result.failed), "noun.territory_failed", lang), ids=", ".join(r.territory_id for r in result.failed),
                logs=Path(result.index).parent / "logs"), file=sys.stderr)
    return 0 if result.ok else 1


def cmd_app(args: argparse.Namespace) -> int:
    """``app``: serve the Voila apps on this computer until Ctrl+C."""
    from collective_impact.apps.server import DEFAULT_PORT, app_url, free_port, list_apps, port_is_free
    from collective_impact.paths import APPS_DIR

    lang = args.lang
    store = _open_store(args)
    if args.set_password or args.dashboard_link:
        return _app_credentials(args, store)
    port = args.port
    if port is None:
        port = DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port()
    elif not port_is_free(port):
        print(t("cli.app.port_busy", lang, port=port, other=free_port()), file=sys.stderr)
        return 1
    apps = list_apps()
    if not apps:
        print(t("cli.app.no_apps", lang, path=APPS_DIR), file=sys.stderr)
        return 1
    print(t("cli.app.starting", lang), flush=True)
    # the evaluator's credential: a token made for this start (shown once), or the password
    from collective_impact.apps.credentials import AccessFile, access_path, evaluator_server
    from collective_impact.tokens import new_token

    token = None if AccessFile(access_path(store.path)).has_password else new_token()
    server = evaluator_server(store.path, port, token=token, lang=lang, max_kernels=args.max_kernels)

    def announce() -> None:
        # "localhost" for people: the same machine, whatever its name
        base = f"http://localhost:{port}/"
        print(t("cli.app.ready", lang))
        _print_login(base, token, lang)
        print(t("cli.app.apps", lang))
        width = max(len(app.title(lang)) for app in apps)
        for app in apps:
            print(f"  {app.title(lang):<{width}}  {app_url(base, app.name)}")
        # this server asks for the evaluator's credential: partners answer through their
        # personal links, on the partners' server
        print(t("cli.app.partners", lang))
        print(t("cli.app.store", lang, path=store.path))

    return _serve_until_stopped(server, announce, lang)


def _serve_until_stopped(server, announce: Callable[[], None], lang: str) -> int:
    """Start ``server``, ``announce()`` it, and serve until Ctrl+C, ``kill`` or the terminal closes."""
    from collective_impact.errors import RunError

    # closing the terminal or `kill` must stop Voila and its kernels as Ctrl+C does
    # (Voila runs in a session of its own and would otherwise outlive this process)
    signals = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.signal(sig, _interrupt) for sig in signals}
    try:
        with server:
            announce()
            print(t("cli.app.log", lang, path=server.log_path))
            print(t("cli.app.stop", lang), flush=True)
            code = server.wait()
            if code:
                raise RunError(t("forms.app.failed", lang, log=server.log_path, tail=server.log_tail()))
    except KeyboardInterrupt:
        print(t("cli.app.stopped", lang))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _print_login(base: str, token: str | None, lang: str) -> None:
    """How the evaluator signs in: the start token's address (shown once here), or the password."""
    from urllib.parse import urlencode

    if token:
        print(t("access.cli.token_url", lang))
        print(f"  {base}?{urlencode({'token': token})}")
    else:
        print(t("access.cli.password_login", lang, url=base))


def _app_credentials(args: argparse.Namespace, store) -> int:
    """``app --set-password`` / ``app --dashboard-link TERRITORY``: change a credential, serve nothing."""
    import getpass

    from collective_impact.apps.credentials import AccessFile, access_path

    lang = args.lang
    access = AccessFile(access_path(store.path))
    if args.set_password:
        first = getpass.getpass(t("access.cli.password_prompt", lang))
        if first != getpass.getpass(t("access.cli.password_again", lang)):
            print(t("access.cli.password_mismatch", lang), file=sys.stderr)
            return 1
        access.set_password(first, lang=lang)
        print(t("access.cli.password_set", lang, path=access.path))
        return 0
    territory = args.dashboard_link
    known = store.territories()
    if territory not in known:
        print(t("access.cli.unknown_territory", lang, territory=territory, known=", ".join(known) or "-"),
              file=sys.stderr)
        return 1
    token = access.add_dashboard_link(territory)
    base = args.base_url or f"http://localhost:{args.port or 8866}"
    print(t("access.cli.dashboard_link", lang, territory=territory))
    print(f"  {base.rstrip('/')}/tableau/{token}")
    return 0


def cmd_partners(args: argparse.Namespace) -> int:
    """``partners``: serve the partners' personal links (questionnaire, results) until Ctrl+C."""
    from collective_impact.apps.partners import DEFAULT_PARTNERS_PORT, PartnersServer, link_url
    from collective_impact.apps.server import free_port, port_is_free

    lang = args.lang
    store = _open_store(args)
    port = args.port or DEFAULT_PARTNERS_PORT
    if not port_is_free(port):
        print(t("cli.app.port_busy", lang, port=port, other=free_port()), file=sys.stderr)
        return 1
    print(t("access.cli.partners_starting", lang), flush=True)
    server = PartnersServer(store.path, port, host=args.host, lang=lang, max_kernels=args.max_kernels)

    def announce() -> None:
        base = f"http://localhost:{port}/"
        print(t("access.cli.partners_ready", lang, url=base, host=args.host, example=link_url(base, "<lien>")))
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(t("access.cli.partners_public", lang))
        print(t("cli.app.store", lang, path=store.path))

    return _serve_until_stopped(server, announce, lang)


def cmd_remove(args: argparse.Namespace) -> int:
    """``remove TERRITORY``: the territory and all its rows, after a confirmation naming what goes."""
    from collective_impact.audit import table_label
    from collective_impact.i18n.format import format_count, terminal_text

    lang = args.lang
    store = _open_store(args)
    territory = store.require_territory(args.territory, lang)
    print(t("records.cli.remove_contents", lang, territory=terminal_text(territory), path=store.path,
            name=terminal_text(store.territory_names()[territory])))
    for name, n in store.territory_contents(territory).items():
        print("  - " + t("records.table_rows", lang, table=table_label(name, lang), rows=format_count(n, "noun.row", lang)))
    print(t("records.cli.remove_kept", lang, territory=terminal_text(territory)))
    if not args.yes:
        try:
            answer = input(t("records.cli.remove_ask", lang))
        except EOFError:  # no terminal to answer from: no
            answer = ""
        if answer.strip().lower() not in t("records.cli.remove_answers", lang).split():
            print(t("records.cli.remove_cancelled", lang), file=sys.stderr)
            return 1
    removed = store.remove_territory(territory)
    print(t("records.cli.remove_done", lang, territory=terminal_text(territory), path=store.path,
            rows=format_count(sum(removed.values()), "noun.row", lang)))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """``audit``: the change log of the store (or of one territory), printed or written to .xlsx/.csv."""
    from collective_impact.audit import readable_audit, write_audit
    from collective_impact.i18n.format import format_count, terminal_text

    lang = args.lang
    if args.out and not args.out.lower().endswith((".xlsx", ".csv")):
        print(t("records.cli.audit_bad_suffix", lang, path=args.out), file=sys.stderr)
        return 2
    store = _open_store(args, read_only=True)
    frame = store.audit(args.territory)
    if args.out:
        write_audit(frame, args.out, lang=lang)
        print(t("records.cli.audit_written", lang, path=args.out, rows=format_count(len(frame), "noun.row", lang)))
        return 0
    if frame.empty:
        print(t("records.cli.audit_empty", lang, path=store.path))
        return 0
    table = readable_audit(frame, lang=lang)
    for values in table.itertuples(index=False):
        print(" · ".join(terminal_text(v) for v in values if v))
    return 0


# --- campaign: questionnaire waves with personal links (apps/campaigns.py) ---------------
def cmd_campaign(args: argparse.Namespace) -> int:
    """``campaign open|status|reminders|revoke|close TERRITORY``: a questionnaire wave's links."""
    from collective_impact.apps import campaigns

    store = _open_store(args)
    store.require_territory(args.territory, args.lang)
    return {"open": _campaign_open, "status": _campaign_status, "reminders": _campaign_reminders,
            "revoke": _campaign_revoke, "close": _campaign_close}[args.action](args, store, campaigns)


def _links(n: int, lang: str) -> str:
    from collective_impact.i18n.format import format_count

    return format_count(n, "campaigns.noun.link", lang)


def _campaign_folder(args: argparse.Namespace, wave: int):
    from pathlib import Path

    return Path(args.out) if args.out else Path(f"campagne-{args.territory}-vague{wave}")


def _campaign_files(args, store, campaigns, wave: int, made, *, stem: str, opened_column: bool = False,
                    cards: bool = True):
    """Write ``stem``.csv (and the printable cards) of ``made`` (links with tokens or None); print where."""
    from collective_impact.apps import invitations

    written = invitations.write_files(store, args.territory, wave, made, _campaign_folder(args, wave), stem=stem,
                                      opened_column=opened_column, cards=cards, lang=args.lang)
    for path in written:
        print(t("campaigns.cli.written", args.lang, path=path))
    if not invitations.has_email_column():
        print(t("campaigns.cli.no_email", args.lang))
    return written


def _campaign_open(args, store, campaigns) -> int:
    from datetime import date

    from collective_impact.i18n.format import format_date

    made = campaigns.open_wave(store, args.territory, args.wave, closes=args.closes, base_url=args.base_url,
                               per_partner=args.per_partner, extra=args.open, today=date.today(), lang=args.lang)
    try:
        _campaign_files(args, store, campaigns, args.wave, made, stem="invitations")
    except CollectiveImpactError:
        # the tokens exist only in these files: without them the links are lost, so the wave is undone
        campaigns.cancel_wave(store, args.territory, args.wave)
        raise
    print(t("campaigns.cli.opened", args.lang, links=_links(len(made), args.lang), territory=args.territory, wave=args.wave,
            date=format_date(args.closes, args.lang)))
    print(t("campaigns.cli.secret", args.lang))
    return 0


def _campaign_status(args, store, campaigns) -> int:
    from collective_impact.i18n.format import clean_text, format_date
    from collective_impact.schema import CODES
    from collective_impact.store import _text_table

    lang = args.lang
    if args.wave is not None or not campaigns.links(store, args.territory):
        campaigns.check_wave(store, args.territory, args.wave, lang=lang)
    status = campaigns.campaign_status(store, args.territory, args.wave)
    kinds = {code.id: code.label(lang) for code in CODES["partner_kind"]}
    no_partner = t("campaigns.no_partner", lang)
    counts = ["invited", "opened", "answered"]
    heads = {c: t(f"campaigns.cli.col.{c}", lang) for c in ["partner_id", "partner_name", "kind", *counts]}
    for wave, frame in status.groupby("wave", sort=True):
        closes, _base, closed = campaigns.wave_closes(store, args.territory, int(wave))
        state = "campaigns.cli.wave_closed" if closed else "campaigns.cli.wave_open"
        print(t(state, lang, territory=args.territory, wave=wave, date=format_date(closes, lang)))
        shown = frame.assign(partner_id=frame["partner_id"].fillna("—"),
                             partner_name=frame["partner_name"].map(lambda v: no_partner if v is None or v != v
                                                                    else clean_text(v)),
                             kind=frame["kind"].map(lambda k: kinds.get(k, "—")))
        print(_text_table(shown[list(heads)].rename(columns=heads), left=[heads[c] for c in heads if c not in counts]))
        print()
        by_kind = campaigns.status_by_kind(frame)
        by_kind = by_kind.assign(kind=by_kind["kind"].map(lambda k: kinds.get(k, no_partner)))
        columns = {c: heads[c] for c in ["kind", *counts]}
        by_kind.loc[len(by_kind)] = [wave, t("campaigns.cli.total", lang), *(int(frame[c].sum()) for c in counts)]
        print(_text_table(by_kind[list(columns)].rename(columns=columns), left=[heads["kind"]]))
        print()
    return 0


def _campaign_reminders(args, store, campaigns) -> int:
    from datetime import date

    wave = campaigns.check_wave(store, args.territory, args.wave, lang=args.lang)
    if args.reissue:
        _base, made = campaigns.reissue_links(store, args.territory, wave, today=date.today(), lang=args.lang)
        print(t("campaigns.cli.reissued", args.lang, links=_links(len(made), args.lang)))
    else:
        made = [(link, None) for link in campaigns.links(store, args.territory, wave, today=date.today())
                if link.is_open and link.answered is None]
        print(t("campaigns.cli.reminders", args.lang, links=_links(len(made), args.lang)))
    if made:
        _campaign_files(args, store, campaigns, wave, made, stem="relances", opened_column=True, cards=args.reissue)
        if args.reissue:
            print(t("campaigns.cli.secret", args.lang))
    return 0


def _campaign_revoke(args, store, campaigns) -> int:
    revoked = campaigns.revoke_link(store, args.territory, invitation_id=args.link, partner_id=args.partner,
                                    wave=args.wave, lang=args.lang)
    print(t("campaigns.cli.revoked", args.lang, links=_links(len(revoked), args.lang), ids=", ".join(link.invitation_id for link in revoked)))
    return 0


def _campaign_close(args, store, campaigns) -> int:
    wave = campaigns.check_wave(store, args.territory, args.wave, lang=args.lang)
    n = campaigns.close_wave(store, args.territory, wave, lang=args.lang)
    print(t("campaigns.cli.closed", args.lang, territory=args.territory, wave=wave, links=_links(n, args.lang)))
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --------------------------------------------------------------------------------------
# the command table
# --------------------------------------------------------------------------------------


def _id_list(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(t("cli.empty_list"))
    return ids


def _whole(text: str, *, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}") from err
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{text!r} < {minimum}")
    return value


def _positive(text: str) -> int:
    return _whole(text, minimum=1)


def _count(text: str) -> int:
    return _whole(text, minimum=0)


def _iso_date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(t("campaigns.help.bad_date", value=text)) from err


def _french_help(parser: argparse.ArgumentParser) -> None:
    # the parser is built before the language is known: its own words are French
    parser._optionals.title = t("cli.help.options_title")
    parser._positionals.title = t("cli.help.arguments_title")
    parser.add_argument("-h", "--help", action="help", help=t("cli.help.help"))


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``collective-impact``: every subcommand, its options and its handler."""
    parser = argparse.ArgumentParser(prog="collective-impact", description=t("cli.help.description"), add_help=False)
    _french_help(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    def add(name: str, handler: Handler, help_key: str, *, store: bool = False) -> argparse.ArgumentParser:
        text = t(help_key)
        p = sub.add_parser(name, help=text, description=text, add_help=False)
        _french_help(p)
        p.add_argument("--lang", choices=LANGS, default="fr", help=t("cli.help.lang"))
        if store:
            p.add_argument("--store", help=t("cli.help.store"))
        p.set_defaults(handler=handler)
        return p

    p = add("template", cmd_template, "cli.help.template")
    p.add_argument("out", help=t("cli.help.out_xlsx"))

    p = add("demo-data", cmd_demo_data, "cli.help.demo_data")
    p.add_argument("out", help=t("cli.help.out_xlsx"))

    p = add("validate", cmd_validate, "cli.help.validate")
    p.add_argument("files", nargs="+", help=t("cli.help.files"))
    p.add_argument("--accept-warnings", action="store_true", help=t("validation.cli.help_accept_warnings"))
    p.add_argument("--ne-sait-pas", dest="dont_know", action="append", metavar="CODE", help=t("survey.cli_dont_know"))

    p = add("import", cmd_import, "cli.help.import", store=True)
    p.add_argument("files", nargs="+", help=t("cli.help.files"))
    p.add_argument("--accept-warnings", action="store_true", help=t("validation.cli.help_accept_warnings"))
    p.add_argument("--replace-only-present", action="store_true", help=t("cli.help.replace_only_present"))
    p.add_argument("--clear", action="append", metavar="TABLE", help=t("cli.help.clear"))
    p.add_argument("--ne-sait-pas", dest="dont_know", action="append", metavar="CODE", help=t("survey.cli_dont_know"))

    p = add("export", cmd_export, "cli.help.export", store=True)
    p.add_argument("out", help=t("cli.help.out_xlsx"))

    add("summary", cmd_summary, "cli.help.summary", store=True)

    p = add("scores", cmd_scores, "cli.help.scores", store=True)
    p.add_argument("--territory", metavar="ID", help=t("cli.help.scores_territory"))
    p.add_argument("--format", choices=SCORE_FORMATS, default="table", help=t("cli.help.scores_format"))

    p = add("report", cmd_report, "cli.help.report", store=True)
    p.add_argument("territory", metavar="ID", help=t("cli.help.territory_id"))
    p.add_argument("--out", default="reports", help=t("cli.help.reports_out"))
    p.add_argument("--wave", type=int, help=t("cli.help.wave"))
    p.add_argument("--as-of", dest="as_of", metavar="AAAA-MM-JJ", help=t("cli.help.as_of"))
    p.add_argument("--kernel", default=None, help=t("cli.help.kernel"))
    p.add_argument("--pdf", action="store_true", help=t("cli.help.report_pdf"))

    p = add("batch", cmd_batch, "cli.help.batch", store=True)
    p.add_argument("--out", default="reports", help=t("cli.help.reports_out"))
    p.add_argument("--territories", type=_id_list, metavar="ID,ID…", help=t("cli.help.territories"))
    p.add_argument("--workers", type=_positive, metavar="N", help=t("cli.help.workers"))
    p.add_argument("--resume", action="store_true", help=t("cli.help.resume"))
    p.add_argument("--scheduler", metavar="tcp://HOTE:PORT", help=t("cli.help.scheduler"))
    p.add_argument("--kernel", default=None, help=t("cli.help.kernel"))
    p.add_argument("--pdf", action="store_true", help=t("cli.help.batch_pdf"))

    p = add("remove", cmd_remove, "records.cli.help_remove", store=True)
    p.add_argument("territory", metavar="TERRITOIRE", help=t("records.cli.help_remove_territory"))
    p.add_argument("--yes", action="store_true", help=t("records.cli.help_yes"))

    p = add("audit", cmd_audit, "records.cli.help_audit", store=True)
    p.add_argument("--territory", metavar="ID", help=t("records.cli.help_audit_territory"))
    p.add_argument("--out", metavar="FICHIER.xlsx|.csv", help=t("records.cli.help_audit_out"))

    p = add("app", cmd_app, "cli.help.app", store=True)
    p.add_argument("--port", type=int, default=None, help=t("cli.help.port"))
    p.add_argument("--max-kernels", dest="max_kernels", type=_positive, metavar="N",
                   help=t("cli.help.max_kernels"))
    p.add_argument("--set-password", dest="set_password", action="store_true", help=t("access.help.set_password"))
    p.add_argument("--dashboard-link", dest="dashboard_link", metavar="TERRITOIRE",
                   help=t("access.help.dashboard_link"))
    p.add_argument("--base-url", dest="base_url", metavar="URL", help=t("access.help.base_url"))

    p = add("partners", cmd_partners, "access.help.partners", store=True)
    p.add_argument("--host", default="127.0.0.1", help=t("access.help.host"))
    p.add_argument("--port", type=int, default=None, help=t("access.help.partners_port"))
    p.add_argument("--max-kernels", dest="max_kernels", type=_positive, metavar="N",
                   help=t("cli.help.max_kernels"))

    p = add("campaign", cmd_campaign, "campaigns.help.campaign", store=True)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str) -> argparse.ArgumentParser:
        text = t(f"campaigns.help.{name}")
        a = actions.add_parser(name, help=text, description=text, add_help=False)
        _french_help(a)
        # also accepted after the action; SUPPRESS keeps a value given before it
        a.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help=t("cli.help.lang"))
        a.add_argument("--store", default=argparse.SUPPRESS, help=t("cli.help.store"))
        a.add_argument("territory", metavar="TERRITOIRE", help=t("cli.help.territory_id"))
        return a

    a = action("open")
    a.add_argument("--wave", type=_positive, required=True, metavar="N", help=t("campaigns.help.wave_new"))
    a.add_argument("--closes", type=_iso_date, required=True, metavar="AAAA-MM-JJ", help=t("campaigns.help.closes"))
    a.add_argument("--base-url", dest="base_url", required=True, metavar="https://…", help=t("campaigns.help.base_url"))
    a.add_argument("--per-partner", dest="per_partner", type=_positive, default=1, metavar="N",
                   help=t("campaigns.help.per_partner"))
    a.add_argument("--open", type=_count, default=0, metavar="N", help=t("campaigns.help.open_links"))
    a.add_argument("--out", metavar="DOSSIER", help=t("campaigns.help.out"))
    a = action("status")
    a.add_argument("--wave", type=_positive, metavar="N", help=t("campaigns.help.wave"))
    a = action("reminders")
    a.add_argument("--wave", type=_positive, metavar="N", help=t("campaigns.help.wave"))
    a.add_argument("--reissue", action="store_true", help=t("campaigns.help.reissue"))
    a.add_argument("--out", metavar="DOSSIER", help=t("campaigns.help.out"))
    a = action("revoke")
    a.add_argument("--wave", type=_positive, metavar="N", help=t("campaigns.help.wave"))
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("--link", metavar="L…", help=t("campaigns.help.link"))
    which.add_argument("--partner", metavar="ID", help=t("campaigns.help.partner"))
    a = action("close")
    a.add_argument("--wave", type=_positive, metavar="N", help=t("campaigns.help.wave"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as err:
        print(str(err), file=sys.stderr)
        _print_problems(err, args.lang)
        return 1
    except CollectiveImpactError as err:
        print(t("cli.error", args.lang, error=err), file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader stopped reading (`… | head`): nothing to tell; what is left to flush at
        # exit goes nowhere instead of raising again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:
        # the last resort for a file the system refuses (permissions, full disk) outside the
        # places that word it themselves: a message naming the file, never a traceback
        print(t("cli.os_error", args.lang, file=err.filename or "", detail=err.strerror or err), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(t("cli.interrupted", args.lang), file=sys.stderr)
        return 130
