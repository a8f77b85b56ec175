"""The command line: solve writes a plan, verify checks it, both without a database."""

from __future__ import annotations

import json

from planner.__main__ import main
from planner.jsonio import plan_from_json, plan_to_json, problem_to_json
from tests.planning.helpers import week_problem


def test_solve_then_verify_roundtrip(tmp_path, capsys):
    problem_file = tmp_path / "problem.json"
    plan_file = tmp_path / "plan.json"
    problem_file.write_text(json.dumps(problem_to_json(week_problem())))
    assert (
        main(["solve", str(problem_file), "--seconds", "1", "--seed", "3", "--out", str(plan_file)])
        == 0
    )
    data = json.loads(plan_file.read_text())
    assert data["seed"] == 3 and data["teams"]
    assert plan_to_json(plan_from_json(data)) == data
    assert main(["verify", str(problem_file), str(plan_file)]) == 0
    assert "0 violation(s)" in capsys.readouterr().out


def test_verify_exits_one_on_a_broken_plan(tmp_path, capsys):
    problem_file = tmp_path / "problem.json"
    plan_file = tmp_path / "plan.json"
    problem_file.write_text(json.dumps(problem_to_json(week_problem())))
    main(["solve", str(problem_file), "--seconds", "1", "--out", str(plan_file)])
    data = json.loads(plan_file.read_text())
    busy = next(d for t in data["teams"] for d in t["days"] if d["events"])
    busy["events"].append(dict(busy["events"][0]))  # the same event twice
    plan_file.write_text(json.dumps(data))
    assert main(["verify", str(problem_file), str(plan_file)]) == 1
    assert "duplicate" in capsys.readouterr().out


def test_solve_with_a_work_budget_is_reproducible(tmp_path):
    problem_file = tmp_path / "problem.json"
    problem_file.write_text(json.dumps(problem_to_json(week_problem())))
    outs = []
    for name in ("a.json", "b.json"):
        out = tmp_path / name
        args = ["solve", str(problem_file), "--seconds", "30", "--work-units", "200000"]
        assert main([*args, "--seed", "2", "--out", str(out)]) == 0
        data = json.loads(out.read_text())
        assert data["stopped_by"] == "budget"
        outs.append(data | {"seconds": 0})
    assert outs[0] == outs[1]
