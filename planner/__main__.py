"""Command line for the planner, no database needed (see docs/planning.md).

python -m planner solve PROBLEM.json --seconds N [--seed S] [--work-units W]
                                    [--out PLAN.json]
python -m planner verify PROBLEM.json PLAN.json

Exit status: 0 done (verify: no violation), 1 verify found violations, 2 the input is malformed
(one line on stderr names the item, e.g. "Locked event L1: unknown team 'nope'.").
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from planner.check_reasons import false_reasons
from planner.jsonio import plan_from_json, plan_to_json, problem_from_json
from planner.tour import plan_tour
from planner.validate import ProblemError
from planner.verify import verify_plan


def _positive(kind: type[int] | type[float]):
    """An argparse type: a number above zero, or a one-line usage error saying so."""

    what = "a whole number" if kind is int else "a number"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} above zero, not {text}") from None
        if not 0 < value < math.inf:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be {what} above zero, not {text}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m planner",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    solve = sub.add_parser("solve", help="plan a problem and write the plan as JSON")
    solve.add_argument("problem", type=Path)
    solve.add_argument(
        "--seconds",
        type=_positive(float),
        default=10.0,
        help="wall-clock limit; the search stops sooner once it stops improving (default 10)",
    )
    solve.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    solve.add_argument(
        "--work-units",
        type=_positive(int),
        help="stop the search after this many counted work units instead of at the clock "
        "(same problem, seed and work units give the same plan on any machine; --seconds "
        "then only bounds the wall clock)",
    )
    solve.add_argument("--out", type=Path, help="write here instead of stdout")
    verify = sub.add_parser(
        "verify",
        help="print every rule a plan breaks and every false left-out reason; exit 1 if any",
    )
    verify.add_argument("problem", type=Path)
    verify.add_argument("plan", type=Path)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ProblemError as exc:
        print(f"{args.problem}: {exc}", file=sys.stderr)
        return 2


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise ProblemError(f"cannot read {path}: {exc.strerror}.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(f"{path} is not JSON: {exc}.") from exc
    except RecursionError:
        raise ProblemError(f"{path} is nested too deeply to be a problem or a plan.") from None


def _run(args: argparse.Namespace) -> int:
    if args.command == "solve" and args.out and not args.out.parent.is_dir():
        # Said before the search, not after it has run for its whole limit.
        raise ProblemError(f"cannot write {args.out}: no folder {args.out.parent}.")
    problem = problem_from_json(_read_json(args.problem))  # type: ignore[arg-type]
    if args.command == "solve":
        plan = plan_tour(problem, seconds=args.seconds, seed=args.seed, work_units=args.work_units)
        text = json.dumps(plan_to_json(plan), indent=2) + "\n"
        if args.out:
            try:
                args.out.write_text(text)
            except OSError as exc:
                raise ProblemError(f"cannot write {args.out}: {exc.strerror}.") from exc
        else:
            sys.stdout.write(text)
        return 0
    try:
        plan = plan_from_json(_read_json(args.plan))  # type: ignore[arg-type]
    except ProblemError as exc:
        raise ProblemError(f"plan {args.plan}: {exc}") from exc
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ProblemError(f"plan {args.plan} is malformed: {exc!r}.") from exc
    violations = verify_plan(problem, plan)
    if not any(v.code in ("unknown_request", "unknown_team") for v in violations):
        # The reasons are re-tried against the plan's events: only a plan of known ones.
        violations += false_reasons(problem, plan)
    for v in violations:
        print(f"{v.code}\t{v.team_id}\t{v.request_id}\t{v.message}")
    print(f"{len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
