"""wrk load mixes (Debian's `wrk`, Lua scripts): the fixed mixes bench_pooler.py compares set-ups
with. bench_open311.py loads the way clients do with bench/loadgen.py instead; these stay for a
like-for-like comparison of the same mix direct and through pgbouncer."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
import textwrap
from datetime import timedelta
from urllib.parse import urlencode

WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "seconds": %.3f, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def wrk(url: str, script: str, duration: int, connections: int, threads: int = 2) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + WRK_DONE)
        path = handle.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--timeout",
                "10s",
                "-s",
                path,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(path)
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(item, ensure_ascii=False) for item in items) + "}"


def post_script(path: str, key: str, codes: list[str], points: list[tuple[float, float]]) -> str:
    coords = "{" + ", ".join(f"{{{lat:.6f}, {lng:.6f}}}" for lng, lat in points) + "}"
    return textwrap.dedent(
        f"""
        local codes = {lua_list(codes)}
        local points = {coords}
        local counter = 0
        local thread_id = 0
        setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
        init = function(args) math.randomseed(os.time() + (tid or 0)) end
        request = function()
          counter = counter + 1
          local p = points[math.random(#points)]
          local body = "api_key={key}&service_code=" .. codes[math.random(#codes)] ..
            "&lat=" .. p[1] .. "&long=" .. p[2] ..
            "&description=bench+" .. (tid or 0) .. "-" .. counter .. "-" .. math.random(1000000000)
          return wrk.format("POST", "{path}", {{
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["Idempotency-Key"] = (tid or 0) .. "-" .. counter .. "-" .. math.random(1000000000),
          }}, body)
        end
        """
    )


def get_script(queries: list[str]) -> str:
    return textwrap.dedent(
        f"""
        local queries = {lua_list(queries)}
        request = function()
          return wrk.format("GET", queries[math.random(#queries)])
        end
        """
    )


def get_queries(key: str, codes: list[str], rng: random.Random, count: int = 400) -> list[str]:
    """Pages of 50 with filters, over 90-day windows inside the year (the spec's largest span)."""
    from django.utils import timezone

    now = timezone.now()
    queries = []
    for _ in range(count):
        end = now - timedelta(days=rng.uniform(0, 275))
        params = {
            "api_key": key,
            "page_size": "50",
            "start_date": (end - timedelta(days=90)).isoformat(timespec="seconds"),
            "end_date": end.isoformat(timespec="seconds"),
        }
        if rng.random() < 0.6:
            params["status"] = rng.choice(["open", "closed"])
        if rng.random() < 0.5:
            params["service_code"] = ",".join(rng.sample(codes, rng.choice([1, 3])))
        if rng.random() < 0.3:
            params["page"] = str(rng.choice([2, 3]))
        queries.append("/open311/v2/requests.json?" + urlencode(params))
    return queries
