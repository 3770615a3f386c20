"""The load generator: a separate process driving the API over loopback.

``python -m bench.loadgen SPEC.json`` reads a spec written by the orchestrator and prints
one JSON result. It is a minimal asyncio HTTP/1.1 client (keep-alive when the server
allows it, a new connection when the server answers ``Connection: close`` as gunicorn's
sync workers do), so it adds no dependency and costs little CPU next to the server on a
2-core machine. Each of ``concurrency`` clients sends one request at a time; the run is
bounded by ``duration`` seconds and by ``max_requests``. Requests started during the
warm-up are not recorded. Every non-2xx answer (and every transport failure) is an error.
"""

import asyncio
import itertools
import json
import resource
import sys
import time
from collections import Counter

from bench.stats import latency_summary

API = "/api/v1"


# --- requests ----------------------------------------------------------------------


def _request(
    method: str, path: str, *, host: str, token: str | None, body: dict | None = None, api_key: str = ""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json", "Connection: keep-alive"]
    if api_key:
        lines.append(f"Authorization: Api-Key {api_key}")
    elif token:
        lines.append(f"Authorization: Bearer {token}")
    payload = b""
    if body is not None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def build_request(spec: dict, i: int) -> bytes:
    """The i-th request of a scenario (deterministic for a given spec)."""
    scenario = spec["scenario"]
    host = spec.get("host_header", "127.0.0.1")
    users = spec["users"]
    if scenario == "purchase_create":
        user_id, token = users[(i * 7919) % len(users)]
        merchants = spec["merchants"]
        body = {
            "external_id": f"{spec['tag']}-{i}",
            "user_id": user_id,
            "merchant_id": merchants[(i * 31) % len(merchants)],
            "amount": f"{20 + i % 80}.{i % 100:02d}",
            "currency": "EUR",
        }
        return _request("POST", f"{API}/purchases", host=host, token=token, body=body)
    if scenario.startswith("partner_batch_"):
        # A partner's batch: items over many users and the partner's merchants, ids unique.
        size = int(scenario.rsplit("_", 1)[1])
        merchants = spec["merchants"]
        items = []
        for j in range(size):
            k = i * size + j
            items.append(
                {
                    "external_id": f"{spec['tag']}-{i}-{j}",
                    "user_id": users[(k * 7919) % len(users)][0],
                    "merchant_id": merchants[(k * 31) % len(merchants)],
                    "amount": f"{20 + k % 80}.{k % 100:02d}",
                    "currency": "EUR",
                }
            )
        body = {"items": items}
        return _request("POST", f"{API}/partner/purchases/batch", host=host, token=None, body=body,
                        api_key=spec["partner_key"])  # fmt: skip
    if scenario == "payout_create":
        # Distinct users: each request takes the next user, starting where the last run ended.
        user_id, token = users[(spec.get("offset", 0) + i) % len(users)]
        body = {"amount": "10.00", "method": "card", "details": {"card_token": f"tok_bench_{i:08d}"}}
        return _request("POST", f"{API}/users/payouts", host=host, token=token, body=body)
    user_id, token = users[(i * 7919) % len(users)]
    paths = {
        "wallet_get": f"{API}/users/me/wallet",
        "wallet_transactions": f"{API}/users/me/wallet/transactions",
        "offers_active": f"{API}/offers/active",
    }
    return _request("GET", paths[scenario], host=host, token=token)


# --- a minimal HTTP/1.1 connection ----------------------------------------------------


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.connects += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        reused = self.writer is not None
        if not reused:
            await self._open()
        try:
            return await self._exchange(raw)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self.close()
            # A kept-alive connection the server closed while idle: nothing was read, retry once.
            if reused and (not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial):
                await self._open()
                return await self._exchange(raw)
            raise

    async def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


# --- the run ---------------------------------------------------------------------------


async def run(spec: dict) -> dict:
    concurrency = int(spec["concurrency"])
    duration = float(spec["duration"])
    warmup = float(spec.get("warmup", 1.0))
    max_requests = int(spec.get("max_requests", 1_000_000))
    counter = itertools.count()
    latencies: list[float] = []
    statuses: Counter = Counter()
    samples: list[dict] = []
    connections = [Connection(spec["host"], int(spec["port"])) for _ in range(concurrency)]
    start = time.perf_counter()
    measure_from = start + warmup
    end = measure_from + duration
    last_done = measure_from
    timeout = spec.get("timeout", 30)
    own_cpu_at_measure_start: list[float] = []

    async def client(conn: Connection) -> None:
        nonlocal last_done
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            i = next(counter)
            if i >= max_requests:
                return
            raw = build_request(spec, i)
            try:
                async with asyncio.timeout(timeout):
                    status, body = await conn.request(raw)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                status, body = 0, repr(exc).encode()
            t1 = time.perf_counter()
            if t0 < measure_from:
                continue
            if not own_cpu_at_measure_start:
                own_cpu_at_measure_start.append(_own_cpu_seconds())
            latencies.append((t1 - t0) * 1000)
            statuses[status] += 1
            last_done = max(last_done, t1)
            if not 200 <= status < 300 and len(samples) < 5:
                samples.append({"status": status, "body": body[:300].decode("utf-8", "replace")})

    cpu = spec.get("cpu")
    cpu_start: asyncio.Task | None = None
    if cpu:

        async def snapshot_at_measure_start():
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            return await asyncio.to_thread(_cpu_snapshot, cpu)

        cpu_start = asyncio.ensure_future(snapshot_at_measure_start())
    await asyncio.gather(*(client(conn) for conn in connections))
    own_cpu = _own_cpu_seconds() - (own_cpu_at_measure_start or [_own_cpu_seconds()])[0]
    cpu_figures = {"loadgen_cpu_ms_per_req": round(own_cpu * 1000 / max(len(latencies), 1), 2)}
    if cpu_start is not None:
        before, after = await cpu_start, _cpu_snapshot(cpu)
        measured = max(len(latencies), 1)
        cpu_figures |= {
            "app_cpu_ms_per_req": round((after[0] - before[0]) * 1000 / measured, 2),
            "db_cpu_ms_per_req": round(max(after[1] - before[1], 0.0) * 1000 / measured, 2),
        }
    for conn in connections:
        conn.close()
    elapsed = max(last_done - measure_from, 1e-9)
    errors = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    return {
        "scenario": spec["scenario"],
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "rps": round(len(latencies) / elapsed, 1),
        **latency_summary(latencies),
        "elapsed_s": round(elapsed, 2),
        "connections_opened": sum(conn.connects for conn in connections),
        **cpu_figures,
        "error_samples": samples,
        "issued": min(next(counter), max_requests),
    }


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_snapshot(cpu: dict) -> tuple[float, float]:
    """CPU seconds so far of the server's process group and of the database's backends.

    Measured over the same window as the requests, this gives CPU milliseconds per
    request, a figure that other load on the machine barely disturbs.
    """
    from bench.stack import cpu_seconds, database_cpu_seconds

    # PostgreSQL titles each backend "postgres: <user> <database> ...".
    return (
        cpu_seconds(process_group=cpu["process_group"]),
        database_cpu_seconds(db_name=cpu["db"], postmaster=cpu.get("postmaster")),
    )


def main(argv: list[str]) -> int:
    with open(argv[0]) as fh:
        spec = json.load(fh)
    result = asyncio.run(run(spec))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
