"""A small HTTP/1.1 load generator (standard library only), run as its own process by the benches.

    python bench/loadgen.py SPEC.json

SPEC names the server (host, port), the load (connections, reconnect_share, warmup, duration) and
what to send ("kind" and its data: keys, service codes and their attributes, points, queries…).
Every connection is one client: it has its own API key (or token) and device_id, and sends one
request at a time, each with a body of its own (a random point inside the demo street's grids, a
service code, a description, attributes). `reconnect_share` of the connections open a new TCP
connection for every request (a phone app, a short-lived script); the others keep theirs alive
(a partner's back end).

It prints `MEASURE start` when the warm-up ends and `MEASURE end` when the measured time is over
(the bench reads CPU times of the server and the database at those two lines), then one line
`RESULT {json}`: requests, seconds, statuses, errors, latency percentiles (ms) and the load
generator's own CPU seconds.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from urllib.parse import quote, urlencode

WORDS = [
    "路灯不亮",
    "垃圾满溢",
    "占道经营",
    "井盖缺失",
    "噪声扰民",
    "消防通道被堵",
    "电梯停运",
    "单元门禁损坏",
    "楼道堆放杂物",
    "路面塌陷",
    "污水外溢",
    "树枝折断挡路",
    "共享单车乱停",
    "小广告乱贴",
]
PLACES = ["小区门口", "3号楼下", "菜市场旁", "公交站台", "幼儿园对面", "地下车库入口", "河边步道", "停车场"]
NAMES = [("伟", "王"), ("芳", "李"), ("娜", "张"), ("敏", "刘"), ("Wei", "Chen"), ("", "")]


class Client:
    """What one connection sends: its key, its device, its counter."""

    def __init__(self, spec: dict, index: int, rng: random.Random):
        self.spec, self.index, self.rng = spec, index, rng
        keys = spec.get("keys") or [""]
        self.key = keys[index % len(keys)]
        self.device = f"bench-{spec.get('nonce', '')}-{index}-{rng.randrange(1 << 30):08x}"
        self.counter = 0
        # Half the clients send an Idempotency-Key (as docs/api.md asks); the others rely on the
        # body-hash retry rule, as many real clients do.
        self.idempotency = index % 2 == 0

    def description(self) -> str:
        r = self.rng
        return f"{r.choice(PLACES)}{r.choice(WORDS)}，{r.choice(['已经好几天了', '请尽快处理', '影响出行', '晚上尤其严重', ''])} #{self.index}-{self.counter}-{r.randrange(10**9)}"

    def request(self) -> bytes:
        self.counter += 1
        kind = self.spec["kind"]
        host = self.spec["host_header"]
        headers = [f"Host: {host}", "User-Agent: civicgrid-bench"]
        if kind == "fixed_post":
            body = self.spec["fixed_body"].encode()
            return self._post(self.spec["path"], headers, "application/x-www-form-urlencoded", body)
        if kind == "open311_post":
            return self._open311_post(headers)
        if kind == "rest_post":
            return self._rest_post(headers)
        if kind == "open311_get":
            return self._open311_get(headers)
        raise SystemExit(f"unknown kind {kind}")

    def _post(self, path: str, headers: list[str], ctype: str, body: bytes) -> bytes:
        headers += [f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
        return (f"POST {path} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode() + body

    def _open311_post(self, headers: list[str]) -> bytes:
        r = self.rng
        service = r.choice(self.spec["services"])
        lng, lat = r.choice(self.spec["points"])
        params = [
            ("api_key", self.key),
            ("service_code", service["code"]),
            ("lat", f"{lat:.6f}"),
            ("long", f"{lng:.6f}"),
            ("description", self.description()),
            ("device_id", self.device),
        ]
        for attr in service.get("attributes", []):
            if not attr["required"] and r.random() < 0.3:
                continue
            if attr["datatype"] in ("singlevaluelist", "multivaluelist"):
                params.append((f"attribute[{attr['code']}]", r.choice(attr["values"])))
            elif attr["datatype"] == "number":
                params.append((f"attribute[{attr['code']}]", str(r.randint(1, 50))))
            elif attr["datatype"] == "datetime":
                params.append((f"attribute[{attr['code']}]", "2026-11-02T08:30:00+08:00"))
            else:
                params.append((f"attribute[{attr['code']}]", r.choice(WORDS)))
        first, last = r.choice(NAMES)
        if first and r.random() < 0.5:
            params += [("first_name", first), ("last_name", last)]
        if r.random() < 0.3:
            params.append(("phone", f"13{r.randrange(10**9):09d}"))
        if r.random() < 0.2:
            params.append(("email", f"user{r.randrange(10**6)}@example.org"))
        if self.idempotency:
            headers.append(f"Idempotency-Key: {self.device}-{self.counter}")
        body = urlencode(params, quote_via=quote).encode()
        return self._post(self.spec["path"], headers, "application/x-www-form-urlencoded", body)

    def _rest_post(self, headers: list[str]) -> bytes:
        r = self.rng
        lng, lat = r.choice(self.spec["points"])
        data = {
            "channel": "resident_app",
            "description": self.description(),
            "lng": round(lng, 6),
            "lat": round(lat, 6),
        }
        if r.random() < 0.5 and self.spec.get("categories"):
            data["category"] = r.choice(self.spec["categories"])
        headers += [f"Authorization: Token {self.key}", f"Idempotency-Key: {self.device}-{self.counter}"]
        body = json.dumps(data, ensure_ascii=False).encode()
        return self._post(self.spec["path"], headers, "application/json", body)

    def _open311_get(self, headers: list[str]) -> bytes:
        r = self.rng
        end = self.spec["now"] - r.uniform(0, 275) * 86400
        params = {
            "api_key": self.key,
            "page_size": "50",
            "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end - 90 * 86400)),
            "end_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end)),
        }
        if r.random() < 0.6:
            params["status"] = r.choice(["open", "closed"])
        if r.random() < 0.5:
            params["service_code"] = ",".join(r.sample(self.spec["codes"], r.choice([1, 3])))
        if r.random() < 0.3:
            params["page"] = str(r.choice([2, 3]))
        path = self.spec["path"] + "?" + urlencode(params)
        return (f"GET {path} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, server keeps the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked, keep = None, False, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        keep = False
    return status, keep


async def connection(spec: dict, index: int, state: dict) -> None:
    rng = random.Random(spec.get("seed", 1) * 1000 + index)
    client = Client(spec, index, rng)
    reconnect = index < round(spec["connections"] * spec.get("reconnect_share", 0.0))
    reader = writer = None
    while time.perf_counter() < state["end"]:
        payload = client.request()
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
            writer.write(payload)
            await writer.drain()
            status, keep = await asyncio.wait_for(read_response(reader), timeout=10)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            if started >= state["start"] and started < state["end"]:
                state["errors"][type(error).__name__] = state["errors"].get(type(error).__name__, 0) + 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
            continue
        done = time.perf_counter()
        if state["start"] <= started and done <= state["end"]:
            state["latencies"].append(done - started)
            state["statuses"][status] = state["statuses"].get(status, 0) + 1
            if status >= 400 and len(state["samples"]) < 3:
                state["samples"].append(status)
        if reconnect or not keep:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    at = min(len(sorted_values) - 1, max(0, int(round(share * len(sorted_values) + 0.5)) - 1))
    return sorted_values[at]


async def run(spec: dict) -> dict:
    now = time.perf_counter()
    state = {
        "start": now + spec["warmup"],
        "end": now + spec["warmup"] + spec["duration"],
        "latencies": [],
        "statuses": {},
        "errors": {},
        "samples": [],
    }

    async def markers():
        await asyncio.sleep(max(0.0, state["start"] - time.perf_counter()))
        print("MEASURE start", flush=True)
        state["cpu_start"] = _own_cpu()
        await asyncio.sleep(max(0.0, state["end"] - time.perf_counter()))
        print("MEASURE end", flush=True)
        state["cpu_end"] = _own_cpu()

    await asyncio.gather(markers(), *(connection(spec, i, state) for i in range(spec["connections"])))
    latencies = sorted(state["latencies"])
    ok = sum(n for s, n in state["statuses"].items() if s < 400)
    return {
        "requests": len(latencies),
        "ok": ok,
        "seconds": spec["duration"],
        "rps": len(latencies) / spec["duration"],
        "statuses": {str(k): v for k, v in sorted(state["statuses"].items())},
        "errors": state["errors"],
        "p50": percentile(latencies, 0.50) * 1000,
        "p95": percentile(latencies, 0.95) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "max": (latencies[-1] * 1000) if latencies else 0.0,
        "loadgen_cpu_s": state["cpu_end"] - state["cpu_start"],
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    result = asyncio.run(run(spec))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
