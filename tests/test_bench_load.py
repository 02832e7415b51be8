"""bench/load.py: reading wrk's output and the host's share of the CPU (steal) around a run."""
import os

import pytest

from bench.load import cpu_times, parse, steal_between

WRK = """Running 10s test @ http://127.0.0.1:45369/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    95.34ms   35.62ms 243.42ms   75.01%
  Latency Distribution
     50%   88.57ms
     75%  110.88ms
     90%  137.16ms
     99%    1.20s
  1693 requests in 10.10s, 1.55MB read
  Non-2xx or 3xx responses: 12
Requests/sec:    167.68
BENCH wraps=0
BENCH statuses=302=1681,409=12
"""


def test_wrk_output_is_read_with_its_units():
    result = parse(WRK, 16)
    assert (result.requests, result.rps, result.p50_ms, result.p99_ms) == (1693, 167.68, 88.57, 1200.0)
    assert result.seconds == pytest.approx(10.1) and result.non_2xx_3xx == 12 and result.ok_requests == 1681
    assert result.statuses == {"302": 1681, "409": 12}


def test_steal_is_the_hosts_share_of_all_cpu_time_between_two_readings():
    # user nice system idle iowait irq softirq steal
    before = [1000, 0, 100, 5000, 10, 0, 5, 80]
    after = [1300, 50, 140, 5110, 10, 0, 5, 180]   # 600 ticks spent, 100 of them stolen
    assert steal_between(before, after) == pytest.approx(100 / 600)
    assert steal_between(before, before) is None   # no time passed
    assert steal_between(None, after) is None      # no /proc/stat (not Linux)


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="no /proc/stat: not Linux")
def test_this_machine_reports_its_cpu_times():
    first = cpu_times()
    assert len(first) == 8 and all(t >= 0 for t in first)
    sum(i * i for i in range(300_000))  # some CPU time passes
    assert sum(cpu_times()) >= sum(first)
