"""python -m bench: its options, how it reads wrk and how it judges a ratio (no timing here)."""
import pytest

from bench.__main__ import Row, parse_args, report
from bench.serve import Request, parse

WRK = """Running 10s test @ http://127.0.0.1:45369/
  1 threads and 16 connections
  Latency Distribution
     50%   88.57ms
     75%  110.88ms
     99%    1.20s
  1693 requests in 10.10s, 1.55MB read
  Non-2xx or 3xx responses: 12
Requests/sec:    167.68
BENCH wraps=1
BENCH statuses=302=1681,409=12
"""


def test_wrk_output_is_read_with_its_units():
    result = parse(WRK)
    assert (result.requests, result.rps, result.p50_ms, result.p99_ms) == (1693, 167.68, 88.57, 1200.0)
    assert (result.wraps, result.statuses) == (1, {302: 1681, 409: 12})


def test_a_request_line_refuses_what_would_split_it():
    assert Request("GET", "/x", "", {"A": "b"}).line() == "GET\t/x\t\tA: b"
    with pytest.raises(AssertionError):
        Request("POST", "/x", "a\tb").line()


def test_only_takes_the_workloads_ci_and_the_issue_name():
    args = parse_args(["--only", "rights,quiz,team,download"])
    assert args.only == ["rights", "quiz", "team", "download"] and args.connections == [16, 64]
    smoke = parse_args(["--smoke"])
    assert (smoke.people, smoke.seconds, smoke.connections) == (200, 1, [4])
    assert "team" in parse_args(["--only", "rights", "--scale", "300000"]).only
    with pytest.raises(SystemExit):
        parse_args(["--only", "rights,nonsense"])


def test_a_ratio_passes_on_the_right_side_of_its_target():
    assert Row("rights", "", 16, 40.0, 100.0, "req/s", 0.35).passed
    assert not Row("quiz", "", 16, 19.0, 100.0, "req/s", 0.2).passed
    assert Row("export", "", None, 1.9, 1.0, "s", 2.0).passed
    assert not Row("memory", "", None, 151.0, 150.0, "MB", 1.0).passed
    rows = [Row("render", "r", None, 1.4, 1.0, "s", 1.3)]
    text = report(parse_args(["--smoke"]), rows, {"finished": "now", "nproc": 2, "cpu": "cpu", "python": "3",
                                                  "database": "sqlite", "seed_seconds": 1.0, "load": "0", "steal": 0.0,
                                                  "elapsed": 2.0, "notes": []})
    assert "| render: r |  | 1.400 s | 1.000 s | 1.40 | ≤ 1.30 | **MISS** |" in text
