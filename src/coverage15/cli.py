"""The ``coverage15`` command line (also ``python -m coverage15``).

Sub-commands: ``run CONFIG.toml`` (one district), ``batch CONFIG.toml`` (many
districts, local processes or Dask), ``demo`` (the bundled sample district),
``profiles`` (list and show standard profiles), ``validate`` (check input files
and print what would be repaired or dropped). Errors are printed without a
traceback unless ``--debug`` is given.

Exit codes: 0 success; 1 an error in the input or the run (the message names
the file); 2 wrong usage; 3 a batch finished but some districts failed; 130
interrupted.

Examples
--------
>>> main(["profiles"])  # doctest: +ELLIPSIS
civil_affairs ...
0
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from coverage15._errors import Coverage15Error, InputError, NetworkError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130

_EPILOG = """\
exit codes / 退出码:
  0    done
  1    bad input or a failed analysis; the message names the file (row, column)
  2    wrong command-line usage
  3    batch finished but some districts failed (see the summary CSV)
  130  interrupted (Ctrl-C)

examples:
  coverage15 demo --out output/demo
  coverage15 run examples/sample_run.toml
  coverage15 batch examples/sample_batch.toml --workers 2
  coverage15 batch city.toml --scheduler tcp://10.0.0.5:8786
  coverage15 validate --communities 社区.shp --facilities 设施.csv
  coverage15 profiles leshan_2018

docs: docs/cli.md, docs/batch.md
"""


def _global_options(p: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--debug, --lang, --progress: accepted before and after the command.

    On the subcommands they default to ``SUPPRESS``, so an option given before
    the command is not reset by the subcommand's parser.
    """

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    p.add_argument(
        "--debug", action="store_true", default=default(False), help="show tracebacks on errors"
    )
    p.add_argument(
        "--lang",
        choices=["zh", "en"],
        default=default(None),
        help="language of labels, tables, maps and reports (default: the config's, else zh)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=default(None),
        help="progress bars on stderr (default: only when stderr is an interactive terminal)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coverage15",
        description=(
            "15-minute living circle (15分钟生活圈) coverage of community services on real "
            "walking networks."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_options(p, defaults=True)
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    globals_ = argparse.ArgumentParser(add_help=False)
    _global_options(globals_, defaults=False)

    d = sub.add_parser(
        "demo", parents=[globals_], help="run on the bundled sample district (synthetic, in Leshan)"
    )
    d.add_argument("--out", type=Path, default=Path("output/demo"), help="output folder")
    d.add_argument("--profile", default="gb50180_2018", help="standard profile key or path")
    d.add_argument("--no-maps", action="store_true", help="tables and layers only")

    r = sub.add_parser(
        "run", parents=[globals_], help="run one district from an analysis config (TOML)"
    )
    r.add_argument("config", type=Path, help="analysis config (see docs/cli.md)")
    r.add_argument("--profile", help="use this profile instead of the config's")
    r.add_argument("--out", type=Path, help="write to this folder instead of the config's")

    b = sub.add_parser(
        "batch", parents=[globals_], help="run many districts from a config, in parallel"
    )
    b.add_argument("config", type=Path, help="config with [[districts]] or [batch] split_by")
    b.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local worker processes (default: one per CPU, at most one per district; "
        "1 = in this process, one after another)",
    )
    b.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    b.add_argument(
        "--summary",
        type=Path,
        help="combined summary CSV (default: summary.csv above the district folders)",
    )

    pr = sub.add_parser("profiles", parents=[globals_], help="list standard profiles, or show one")
    pr.add_argument("key", nargs="?", help="profile to show (key or .toml path)")

    v = sub.add_parser(
        "validate",
        parents=[globals_],
        help="check input files (or a config's); print the repair/drop report",
    )
    v.add_argument("config", type=Path, nargs="?", help="check every input of this config")
    v.add_argument("--communities", type=Path, help="community boundaries with households")
    v.add_argument("--facilities", type=Path, help="service facility points")
    v.add_argument("--buildings", type=Path, help="residential building footprints")
    v.add_argument("--crs", help="CRS of files that do not declare one")
    v.add_argument(
        "--unknown-categories",
        choices=["raise", "drop", "keep"],
        default="raise",
        help="what to do with facility categories not in the catalogue",
    )
    v.add_argument(
        "--profile",
        help="also check that every category this profile requires has facilities",
    )
    v.add_argument(
        "--allow-drop",
        action="store_true",
        help="exit 0 even when records with households were dropped (default: exit 1)",
    )
    v.add_argument(
        "--allow-missing-categories",
        action="store_true",
        help="exit 0 even when a category the profile requires has no facility",
    )
    v.set_defaults(subparser=v)
    b.set_defaults(subparser=b)
    return p


def _version() -> str:
    from coverage15 import __version__  # the one source (pyproject reads it too)

    return __version__


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars: as asked, else only on an interactive terminal."""
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


# --------------------------------------------------------------------------- commands


def _cmd_profiles(args: argparse.Namespace) -> int:
    from coverage15.standards import list_profiles, load_profile

    if args.key:
        from importlib import resources

        profile = load_profile(args.key)
        print(profile)
        if args.key in list_profiles():
            path = resources.files("coverage15").joinpath("profiles", f"{args.key}.toml")
            print(f"\nfile: {path}\n(copy it, edit the copy and give its path as the profile)")
        return EXIT_OK
    for key in list_profiles():
        p = load_profile(key)
        name = p.name_en if args.lang == "en" else p.name_zh
        print(f"{key:<20} {name}  [{p.confidence}]")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from coverage15.io import load_buildings, load_communities, load_facilities
    from coverage15.validation import ValidationReport

    files = (args.communities, args.facilities, args.buildings)
    if args.config is None and not any(files):
        args.subparser.error(
            "give a CONFIG, or at least one of --communities/--facilities/--buildings"
        )
    if args.config is not None:
        if any(files):
            args.subparser.error("give either a CONFIG or input files, not both")
        return _validate_config(
            args.config,
            debug=args.debug,
            allow_drop=args.allow_drop,
            allow_missing=args.allow_missing_categories,
        )
    report = ValidationReport(source="inputs")
    communities = None
    if args.communities:
        communities = load_communities(args.communities, crs=args.crs, report=report)
        print(
            f"communities 社区: {len(communities)}, "
            f"households 户数 {int(communities['households'].sum()):,}"
        )
    if args.facilities:
        facilities = load_facilities(
            args.facilities,
            crs=args.crs,
            communities=communities,
            unknown_categories=args.unknown_categories,
            report=report,
        )
        print(f"facilities 服务设施: {len(facilities)}")
        if args.profile:
            from coverage15.standards import load_profile
            from coverage15.validation import check_required_categories

            check_required_categories(
                facilities, load_profile(args.profile), report, source=str(args.facilities)
            )
    if args.buildings:
        buildings = load_buildings(args.buildings, crs=args.crs, report=report)
        print(f"residential buildings 住宅建筑: {len(buildings)}")
    print(report)
    print(report.summary())
    problems = _validate_problems(report, args.allow_drop, args.allow_missing_categories)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return EXIT_ERROR if problems else EXIT_OK


def _validate_problems(report: Any, allow_drop: bool, allow_missing: bool) -> list[str]:
    """What makes ``validate`` exit 1 although every file loaded."""
    problems = []
    dropped = report.households("dropped")
    if dropped and not allow_drop:
        problems.append(
            f"{dropped:,.0f} households were dropped with their records ({report.summary()}); "
            "fix the records, or pass --allow-drop to accept"
        )
    missing = report.rows("category_without_facilities")
    if missing and not allow_missing:
        problems.append(
            f"required categories without any facility: {', '.join(map(str, missing))}; "
            "pass --allow-missing-categories to accept"
        )
    return problems


def _validate_config(
    path: Path, debug: bool = False, allow_drop: bool = False, allow_missing: bool = False
) -> int:
    """Load every input of a config, as a run would, without building anything.

    Every district is checked, even after one fails; each failure is printed
    (``error: [district] ...`` on stderr) and the exit code is 1 when any failed,
    including a district whose inputs lost households (unless ``allow_drop``) or
    lack a category its profile requires (unless ``allow_missing``).
    """
    from coverage15.config import load_batch_config

    runs = load_batch_config(path)
    print(f"{path}: {len(runs)} district(s) 区县")
    checked: dict[str, str | None] = {}  # inputs already loaded -> their error, if any
    failed: list[str] = []
    for run in runs:
        print(f"\n[{run.name}] profile {run.profile}, output {run.output_folder}")
        try:
            problems = _validate_run(run, checked, allow_drop, allow_missing)
            if problems:
                raise InputError("; ".join(problems), source=run.name)
        except Exception as exc:
            if debug:
                raise
            message = (
                str(exc) if isinstance(exc, Coverage15Error) else f"{type(exc).__name__}: {exc}"
            )
            failed.append(run.name)
            print(f"  FAILED: {message}")
            print(f"error: [{run.name}] {message}", file=sys.stderr)
    if failed:
        print(
            f"\n{len(failed)} of {len(runs)} district(s) failed: {', '.join(failed)}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def _validate_run(
    run: Any, checked: dict[str, str | None], allow_drop: bool = False, allow_missing: bool = False
) -> list[str]:
    """Check one district of a config; raise on the first problem of this district.

    Returns the problems that make ``validate`` fail although the inputs loaded
    (households dropped, required categories without facilities).
    """
    from coverage15.batch import load_inputs
    from coverage15.standards import load_profile
    from coverage15.validation import ValidationReport

    profile = load_profile(run.profile)
    for layer in (run.dem, run.barriers, run.compounds, run.gates):
        if layer and layer != "osm" and not Path(layer).exists():
            raise InputError("file not found", source=layer)
    source = run.network.get("source")
    if source is not None and not Path(source).exists():
        raise NetworkError(f"{source}: network source file not found")
    key = repr((run.inputs, run.district_filter))
    if key in checked:
        if checked[key] is not None:
            raise InputError(f"inputs as above: {checked[key]}", source=run.name)
        print("  inputs: as above")
        # the same facilities, but this district's profile may require other categories
        import pandas as pd

        from coverage15.validation import check_required_categories

        report = ValidationReport(source=run.name)
        present = pd.DataFrame({"category": (checked.get(key + " categories") or "").split("\t")})
        check_required_categories(
            present, profile, report, source=str(run.inputs["facilities"]["path"])
        )
        if report.findings:
            print("  " + str(report).replace("\n", "\n  "))
        return _validate_problems(report, allow_drop, allow_missing)
    whole = dataclasses.replace(run, district_filter=None)
    report = ValidationReport(source=run.name)
    try:
        communities, facilities, buildings = load_inputs(whole, report=report)
    except Exception as exc:
        checked[key] = str(exc)
        raise
    checked[key] = None
    print(
        f"  communities 社区: {len(communities)}, households 户数 "
        f"{int(communities['households'].sum()):,}; facilities 服务设施: {len(facilities)}"
        + (f"; buildings 住宅建筑: {len(buildings)}" if buildings is not None else "")
    )
    if run.district_filter:
        col = run.district_filter["split_by"]
        if col not in communities.columns:
            checked[key] = f"split_by column '{col}' not in the communities layer"
            raise InputError(
                f"[batch] split_by column '{col}' not in the communities layer; its columns are "
                f"{[c for c in communities.columns if c != 'geometry']}",
                source=run.inputs["communities"]["path"],
                column=col,
            )
        counts = communities[col].astype(str).value_counts().sort_index()
        print(
            f"  split by {col}: {len(counts)} district(s): "
            + ", ".join(f"{k} ({n})" for k, n in counts.items())
        )
    from coverage15.validation import check_required_categories

    check_required_categories(
        facilities,
        profile,
        report,
        source=str(run.inputs["facilities"]["path"]),
    )
    print("  " + str(report).replace("\n", "\n  "))
    print("  " + report.summary())
    checked[key + " categories"] = "\t".join(sorted(set(facilities["category"].dropna())))
    problems = _validate_problems(report, allow_drop, allow_missing)
    dropped = _validate_problems(report, allow_drop, allow_missing=True)
    if dropped:  # the next districts with these inputs fail too ("inputs as above")
        checked[key] = "; ".join(dropped)
    return problems


def _cmd_run(args: argparse.Namespace) -> int:
    from coverage15.batch import analyze_district, write_outputs
    from coverage15.config import load_config

    run = load_config(args.config)
    changes: dict[str, Any] = {}
    if args.lang:
        changes["lang"] = args.lang
    if args.profile:
        changes["profile"] = args.profile
    if args.out:
        changes["output_folder"] = args.out
    run = dataclasses.replace(run, **changes)
    progress = _progress(args)
    t0 = time.perf_counter()
    result = analyze_district(run, progress=progress)
    folder = write_outputs(result, run, progress=progress)
    record = result.network_record
    cache = (
        f"loaded from the cache {record['from_cache']}"
        if record.get("from_cache")
        else f"built and cached in {Path(record['cached_to']).parent}"
        if record.get("cached_to")
        else "built (no cache)"
    )
    print(
        f"{run.name}: {len(result.communities)} communities, "
        f"{int(result.communities['households'].sum()):,} households; "
        f"network {result.network.n_nodes:,} nodes, {cache}"
    )
    print(result.summary(run.lang))
    print(f"wrote {folder} in {time.perf_counter() - t0:.1f} s")
    return EXIT_OK


def _cmd_batch(args: argparse.Namespace) -> int:
    from coverage15.batch import default_summary_path, expand_runs, run_batch
    from coverage15.config import load_batch_config

    if args.workers is not None and args.workers < 1:
        args.subparser.error("--workers must be 1 or more")
    runs = load_batch_config(args.config)
    if args.lang:
        runs = [dataclasses.replace(r, lang=args.lang) for r in runs]
    runs = expand_runs(runs)
    summary_path = args.summary or default_summary_path(runs)
    workers = args.workers or min(len(runs), os.cpu_count() or 1)
    where = (
        f"Dask scheduler {args.scheduler}"
        if args.scheduler
        else f"{workers} local process(es)"
        if workers > 1
        else "this process"
    )
    print(f"{len(runs)} district(s) 区县 from {args.config}, on {where}", flush=True)

    from coverage15._progress import tqdm_class

    tqdm = tqdm_class()

    def show(o: Any) -> None:
        lines = [
            f"  ok      {o.name}: {o.communities} community(ies), {o.seconds:.1f} s"
            if o.ok
            else f"  FAILED  {o.name}: {o.error}"
        ]
        lines += [f"          warning: {w}" for w in o.warnings]
        tqdm.write("\n".join(lines), file=sys.stdout)  # above the progress bar, if any
        sys.stdout.flush()
        if args.debug and o.traceback:
            tqdm.write(o.traceback, file=sys.stderr)

    summary = run_batch(
        runs,
        workers=workers,
        scheduler=args.scheduler,
        summary_path=summary_path,
        on_done=show,
        progress=_progress(args),
    )
    failed = int((~summary["ok"]).sum())
    print(
        f"{len(summary)} district(s), {len(summary) - failed} ok, {failed} failed; "
        f"summary: {summary_path}"
    )
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from coverage15.demo import run_demo

    run_demo(
        out=args.out,
        profile=args.profile,
        lang=args.lang or "zh",
        maps=not args.no_maps,
        progress=_progress(args),
    )
    return EXIT_OK


# --------------------------------------------------------------------------- main


@contextmanager
def _brief_warnings(debug: bool) -> Iterator[None]:
    """Warnings as one ``warning: ...`` line each (with the source line under ``--debug``)."""
    with warnings.catch_warnings():
        if not debug:

            def show(message, category, filename, lineno, file=None, line=None) -> None:
                print(f"warning: {message}", file=sys.stderr)

            warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 done, 1 input or analysis error, 2 usage error, 3 some districts of
        a batch failed, 130 interrupted.

    Examples
    --------
    >>> main(["--lang", "en", "profiles"])  # doctest: +ELLIPSIS
    civil_affairs ...
    0
    >>> main(["run", "no/such/config.toml"])
    1
    >>> main(["frobnicate"])  # usage on stderr
    2
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    commands = {
        "run": _cmd_run,
        "batch": _cmd_batch,
        "profiles": _cmd_profiles,
        "validate": _cmd_validate,
        "demo": _cmd_demo,
    }
    try:
        with _brief_warnings(args.debug):
            return commands[args.command](args)
    except SystemExit as exc:  # a usage error found by a command
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `coverage15 batch ... | head`: the reader left
        with suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Coverage15Error as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("(run again with --debug for the traceback)", file=sys.stderr)
        return EXIT_ERROR
