"""The ``coverage15`` command line.

Sub-commands: ``run CONFIG.toml`` (one district), ``batch CONFIG.toml`` (many
districts, local processes or Dask), ``demo`` (the bundled sample district),
``profiles`` (list and show standard profiles), ``validate`` (check input files
and print what would be repaired or dropped). Errors are printed without a traceback unless
``--debug`` is given. Exit codes: 0 success, 1 an error in the input or the
run, 2 wrong usage.

Examples
--------
>>> main(["profiles"])  # doctest: +ELLIPSIS
civil_affairs ...
0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from coverage15._errors import Coverage15Error

EXIT_SOME_FAILED = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coverage15",
        description="15-minute living circle (15分钟生活圈) coverage of community services.",
        epilog=(
            "exit codes: 0 done; 1 bad input or a failed analysis (the message names the file, "
            "row and column); 2 wrong command-line usage; 3 batch finished but some districts "
            "failed (see the summary CSV); 130 interrupted"
        ),
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="label language")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars (default: on when the terminal is interactive)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="run on the bundled sample district (Leshan, synthetic)")
    d.add_argument("--out", type=Path, default=Path("output/demo"), help="output folder")
    d.add_argument("--profile", default="gb50180_2018", help="standard profile key or path")
    d.add_argument("--no-maps", action="store_true", help="tables and layers only")

    r = sub.add_parser("run", help="run one district from an analysis config (TOML)")
    r.add_argument("config", type=Path)

    b = sub.add_parser("batch", help="run many districts from a config")
    b.add_argument("config", type=Path)
    b.add_argument("--workers", type=int, default=1, help="local worker processes")
    b.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    b.add_argument("--summary", type=Path, help="combined summary CSV (default: beside outputs)")

    pr = sub.add_parser("profiles", help="list profiles, or show one")
    pr.add_argument("key", nargs="?", help="profile to show")

    v = sub.add_parser("validate", help="check input files; print the repair/drop report")
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
    return p


def _cmd_profiles(args: argparse.Namespace) -> int:
    from coverage15.standards import list_profiles, load_profile

    if args.key:
        print(load_profile(args.key))
        return 0
    for key in list_profiles():
        p = load_profile(key)
        name = p.name_zh if args.lang == "zh" else p.name_en
        print(f"{key:<20} {name}  [{p.confidence}]")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from coverage15.io import load_buildings, load_communities, load_facilities
    from coverage15.validation import ValidationReport

    if not (args.communities or args.facilities or args.buildings):
        print("validate: give at least one of --communities, --facilities, --buildings")
        return 2
    report = ValidationReport(source="inputs")
    communities = None
    if args.communities:
        communities = load_communities(args.communities, crs=args.crs, report=report)
        print(
            f"communities: {len(communities)}, households {int(communities['households'].sum()):,}"
        )
    if args.facilities:
        facilities = load_facilities(
            args.facilities,
            crs=args.crs,
            communities=communities,
            unknown_categories=args.unknown_categories,
            report=report,
        )
        print(f"facilities: {len(facilities)}")
    if args.buildings:
        buildings = load_buildings(args.buildings, crs=args.crs, report=report)
        print(f"residential buildings: {len(buildings)}")
    print(report)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from coverage15.batch import run_district
    from coverage15.config import load_config

    run = load_config(args.config)
    outcome = run_district(run)
    if not outcome.ok:
        print(f"error: {run.name}: {outcome.error}", file=sys.stderr)
        return 1
    print(
        f"{run.name}: {outcome.communities} communities, {outcome.households:,} households, "
        f"{outcome.seconds:.1f} s -> {outcome.output_folder}"
    )
    for key, value in outcome.indicators.items():
        print(f"  {key:<34} {value:,.3f}")
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from coverage15.batch import run_batch
    from coverage15.config import load_batch_config

    runs = load_batch_config(args.config)
    summary_path = args.summary or Path(runs[0].output_folder).parent / "summary.csv"

    def show(o) -> None:
        state = "ok" if o.ok else f"FAILED: {o.error}"
        print(f"  {o.name}: {state} ({o.seconds:.1f} s)")

    summary = run_batch(
        runs,
        workers=args.workers,
        scheduler=args.scheduler,
        summary_path=summary_path,
        on_done=show,
    )
    failed = int((~summary["ok"]).sum())
    print(f"{len(summary)} district(s), {failed} failed; summary: {summary_path}")
    return EXIT_SOME_FAILED if failed else 0


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars: as asked, else only on an interactive terminal."""
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


def _cmd_demo(args: argparse.Namespace) -> int:
    from coverage15.demo import run_demo

    run_demo(
        out=args.out,
        profile=args.profile,
        lang=args.lang,
        maps=not args.no_maps,
        progress=_progress(args),
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Examples
    --------
    >>> main(["--lang", "en", "profiles"])  # doctest: +ELLIPSIS
    civil_affairs ...
    0
    >>> main(["run", "no/such/config.toml"])
    1
    """
    parser = _parser()
    args = parser.parse_args(argv)
    commands = {
        "run": _cmd_run,
        "batch": _cmd_batch,
        "profiles": _cmd_profiles,
        "validate": _cmd_validate,
        "demo": _cmd_demo,
    }
    try:
        return commands[args.command](args)
    except Coverage15Error as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
