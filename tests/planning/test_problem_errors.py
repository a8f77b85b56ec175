"""Malformed problems: one line naming the item, exit status 2, never a traceback."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from planner import ProblemError, plan_tour
from planner.__main__ import main
from planner.jsonio import problem_from_json, problem_to_json
from tests.planning.helpers import week_problem

CASES = Path(__file__).parent / "cases"


def _run(tmp_path: Path, data: object, capsys, command: str = "solve") -> tuple[int, str]:
    problem_file = tmp_path / "problem.json"
    problem_file.write_text(json.dumps(data) if not isinstance(data, str) else data)
    args = [command, str(problem_file)]
    if command == "solve":
        args += ["--seconds", "1"]
    else:
        plan_file = tmp_path / "plan.json"
        plan_file.write_text('{"teams": [], "left_out": []}')
        args.append(str(plan_file))
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.err


@pytest.mark.parametrize("command", ["solve", "verify"])
@pytest.mark.parametrize(
    ("case", "names"),
    [
        ("locked-unknown-team.json", ("Locked event L1", "unknown team 'nope'")),
        ("unknown-time-zone.json", ("Request x", "unknown time zone 'Mars/Olympus'")),
    ],
)
def test_shared_cases_exit_two_with_one_line(tmp_path, capsys, command, case, names):
    status, err = _run(tmp_path, json.loads((CASES / case).read_text()), capsys, command)
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    for name in names:
        assert name in err


def _week() -> dict:
    return problem_to_json(week_problem())


def _broken(change) -> dict:
    data = _week()
    change(data)
    return data


BROKEN = {
    "reversed tour dates": (
        lambda d: d["teams"][0].update(first_day="2026-03-20"),
        "Team t1: the last day 2026-03-13 is before the first day 2026-03-20",
    ),
    "reversed window": (
        lambda d: d["requests"][0]["windows"][0].update(
            first_date="2026-03-09", last_date="2026-03-02"
        ),
        "Request r0: a window ends on 2026-03-02",
    ),
    "zero duration": (
        lambda d: d["requests"][2].update(duration_minutes=0),
        "Request r2: the talk lasts 0 minutes",
    ),
    "unknown fellow": (
        lambda d: d["teams"][0].update(
            unavailability=[
                {"fellow_id": "zed", "start": "2026-03-03T05:00Z", "end": "2026-03-03T09:00Z"}
            ]
        ),
        "Team t1: unavailability names fellow zed",
    ),
    "unknown team zone": (
        lambda d: d["teams"][1].update(timezone="Europe/Atlantis"),
        "Team t2: unknown time zone 'Europe/Atlantis'",
    ),
    "missing field": (lambda d: d["requests"][3].pop("windows"), "Request r3: missing field"),
    "bad date": (
        lambda d: d["teams"][0].update(last_day="2026-02-30"),
        "Team t1: last_day must be a date as YYYY-MM-DD, not '2026-02-30'",
    ),
    "bad local time": (
        lambda d: d["requests"][0]["windows"][0].update(earliest_start="9am"),
        "Request r0: earliest_start must be a local time as HH:MM, not '9am'",
    ),
    "instant without an offset": (
        lambda d: d["teams"][0].update(
            unavailability=[
                {"fellow_id": "ana", "start": "2026-03-03T05:00", "end": "2026-03-03T09:00Z"}
            ]
        ),
        "Team t1: start must be a date and time with a UTC offset, such as",
    ),
    "misspelt team limit": (
        lambda d: d["teams"][0].update(max_event_per_day=1),
        "Team t1: unknown field 'max_event_per_day' in the team "
        "(did you mean 'max_events_per_day'?)",
    ),
    "misspelt window field": (
        lambda d: d["requests"][1]["windows"][0].update(latest_start="17:00"),
        "Request r1: unknown field 'latest_start' in a window",
    ),
    "misspelt location field": (
        lambda d: d["requests"][2]["location"].update(lng=-75.0),
        "Request r2: unknown field 'lng' in location (did you mean 'lon'?)",
    ),
    "latitude given as text": (
        lambda d: d["requests"][3]["location"].update(lat="north"),
        "Request r3: location lat must be a number, not 'north'",
    ),
    "misspelt top-level field": (
        lambda d: d.update(lock=[]),
        "Unknown field 'lock' in the problem (did you mean 'locked'?).",
    ),
    "a talk longer than a day": (
        lambda d: d["requests"][0].update(duration_minutes=10**12),
        "Request r0: the talk lasts 1000000000000 minutes; at most a day (1440).",
    ),
    "an audience past any hall": (
        lambda d: d["requests"][1].update(expected_audience=10**400),
        "Request r1: the expected audience is more than 1,000,000.",
    ),
    "a request without a window": (
        lambda d: d["requests"][2].update(windows=[]),
        "Request r2: the request has no window.",
    ),
    "fellows given as text": (
        lambda d: d["teams"][0].update(fellow_ids="ana"),
        "Team t1: fellow_ids must be a list, not 'ana'.",
    ),
    "region states given as text": (
        lambda d: d["teams"][0].update(region_states="PA"),
        "Team t1: region_states must be a list, not 'PA'.",
    ),
    "windows given as null": (
        lambda d: d["requests"][3].update(windows=None),
        "Request r3: windows must be a list, not None.",
    ),
    "minimum audience given as text": (
        lambda d: d.update(weights={"minimum_audience": "1"}),
        "Weights: minimum_audience must be a whole number, not '1'.",
    ),
    "unknown priority weight": (
        lambda d: d.update(weights={"priority": {"urgent": 3}}),
        "Weights: unknown priority 'urgent' (one of critical, high, low, normal)",
    ),
    "no driving at all": (
        lambda d: d["teams"][0].update(max_driving_minutes_per_day=0),
        "Team t1: the driving limit is 0 minutes a day; at least 1.",
    ),
    "a tour in year 9999": (
        lambda d: d["teams"][0].update(first_day="9999-12-01", last_day="9999-12-31"),
        "Team t1: 9999-12-01 is outside the years 2000-2200 a tour can have.",
    ),
    "two locked events at once": (
        lambda d: d.update(
            locked=[
                {"request_id": "r0", "team_id": "t1", "start": "2026-03-03T15:00:00Z"},
                {"request_id": "r1", "team_id": "t1", "start": "2026-03-03T15:00:00Z"},
            ]
        ),
        "Locked event r1: it overlaps locked event r0 of team t1.",
    ),
    "misspelt weight": (
        lambda d: d.update(weights={"minimum_attendance": 10}),
        "Weights: unknown field 'minimum_attendance' in weights",
    ),
    "reversed working hours": (
        lambda d: d["teams"][0].update(work_start="21:00", work_end="08:00"),
        "Team t1: working hours end (08:00) before they start (21:00)",
    ),
    "locked unknown request": (
        lambda d: d.update(
            locked=[{"request_id": "zz", "team_id": "t1", "start": "2026-03-03T15:00Z"}]
        ),
        "Locked event zz: no request has that id",
    ),
    "unknown priority": (
        lambda d: d["requests"][1].update(priority="urgent"),
        "Request r1: unknown priority 'urgent'",
    ),
    "negative cost": (
        lambda d: d["teams"][0].update(costs={"hotel_night_attendees": -15}),
        "Team t1: the cost hotel_night_attendees cannot be negative",
    ),
    "cost given as text": (
        lambda d: d["teams"][0].update(costs={"flight_attendees": "150"}),
        "Team t1: flight_attendees must be a number, not '150'",
    ),
    "duration given as text": (
        lambda d: d["requests"][4].update(duration_minutes="60"),
        "Request r4: duration_minutes must be a whole number, not '60'",
    ),
    "team with no fellow": (
        lambda d: d["teams"][1].update(fellow_ids=[]),
        "Team t2: the team has no fellow",
    ),
    "unknown state in a region": (
        lambda d: d["teams"][0].update(region_states=["PA", "ZZ"]),
        "Team t1: unknown state code 'ZZ'",
    ),
    "a gap longer than a day": (
        lambda d: d["teams"][0].update(min_gap_minutes=10**12),
        "Team t1: the gap (1000000000000 min) and the driving limit",
    ),
    "negative priority weight": (
        lambda d: d.update(weights={"priority": {"low": -1}}),
        "Weights: priority 'low' weighs -1; at least 0.",
    ),
    "negative minimum audience": (
        lambda d: d.update(weights={"minimum_audience": -5}),
        "Weights: minimum_audience is -5; at least 0.",
    ),
    "unknown state of a request": (
        lambda d: d["requests"][5].update(state="ZZ"),
        "Request r5: unknown state code 'ZZ'",
    ),
    "a departure after the working day starts": (
        lambda d: d["teams"][0].update(work_start="08:00", earliest_departure="09:00"),
        "Team t1: the earliest departure (09:00) is after the working day starts (08:00)",
    ),
    "a request without an id": (
        lambda d: d["requests"][1].update(id=None),
        "id must be text or a whole number, not null",
    ),
    "a team named by a list": (
        lambda d: d["teams"][1].update(id=["t2"]),
        'id must be text or a whole number, not ["t2"]',
    ),
    "a fellow named by true": (
        lambda d: d["teams"][0].update(fellow_ids=[True]),
        "fellow_ids must be text or a whole number, not true",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_malformed_problem_names_the_item(tmp_path, capsys, name):
    change, message = BROKEN[name]
    status, err = _run(tmp_path, _broken(change), capsys)
    assert status == 2, err
    assert message in err and err.count("\n") == 1


def test_not_json_and_missing_file_exit_two(tmp_path, capsys):
    status, err = _run(tmp_path, "{not json", capsys)
    assert status == 2 and "is not JSON" in err
    assert main(["solve", str(tmp_path / "nowhere.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_plan_tour_refuses_a_malformed_problem_by_name():
    data = _broken(lambda d: d["requests"][2].update(duration_minutes=0))
    with pytest.raises(ProblemError, match="Request r2"):
        problem_from_json(data)
    problem = week_problem()
    bad = replace(problem.requests[2], duration_minutes=0)
    with pytest.raises(ProblemError, match="Request r2: the talk lasts 0 minutes"):
        plan_tour(replace(problem, requests=(*problem.requests[:2], bad)), seconds=1)


def test_weights_given_in_part_keep_the_other_priorities(tmp_path, capsys):
    data = _week()
    data["weights"] = {"priority": {"normal": 2}}
    problem = problem_from_json(data)
    assert problem.weights.priority["normal"] == 2.0
    assert problem.weights.priority["high"] == 2.0 and problem.weights.priority["critical"] == 4.0


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--seconds", "-5"),
        ("--seconds", "0"),
        ("--seconds", "nan"),
        ("--seconds", "inf"),
        ("--seconds", "soon"),
        ("--work-units", "0"),
        ("--work-units", "1.5"),
    ],
)
def test_the_command_line_refuses_a_limit_that_is_not_above_zero(tmp_path, capsys, option, value):
    problem_file = tmp_path / "problem.json"
    problem_file.write_text(json.dumps(_week()))
    with pytest.raises(SystemExit) as exit_info:
        main(["solve", str(problem_file), option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}:" in err and "Traceback" not in err


def test_the_documented_example_problem_reads():
    text = (Path(__file__).parents[2] / "docs" / "planning.md").read_text()
    examples = [
        json.loads(block)
        for block in re.findall(r"```json\n(.*?)```", text, re.S)
        if '"teams"' in block and '"requests"' in block
    ]
    assert len(examples) == 1
    assert problem_from_json(examples[0]).requests


def test_deep_nesting_and_a_missing_output_folder_exit_two(tmp_path, capsys):
    status, err = _run(tmp_path, "[" * 100_000 + "]" * 100_000, capsys)
    assert status == 2 and "nested too deeply" in err and err.count("\n") == 1
    problem_file = tmp_path / "problem.json"
    problem_file.write_text(json.dumps(_week()))
    out = tmp_path / "nowhere" / "plan.json"
    assert main(["solve", str(problem_file), "--seconds", "30", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: no folder" in err and err.count("\n") == 1


@pytest.mark.parametrize("field", ["request_id", "team_id"])
def test_verify_names_a_plan_of_unknown_requests_or_teams(tmp_path, capsys, field):
    problem_file, plan_file = tmp_path / "problem.json", tmp_path / "plan.json"
    problem_file.write_text(json.dumps(_week()))
    assert main(["solve", str(problem_file), "--seconds", "5", "--out", str(plan_file)]) == 0
    plan = json.loads(plan_file.read_text())
    if field == "team_id":
        plan["teams"][0]["team_id"] = "zz"
    else:
        event = next(e for t in plan["teams"] for d in t["days"] for e in d["events"])
        event["request_id"] = "nope"
    plan_file.write_text(json.dumps(plan))
    assert main(["verify", str(problem_file), str(plan_file)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert ("unknown_team" if field == "team_id" else "unknown_request") in out.out
