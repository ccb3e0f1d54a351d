"""The JDBC source half of scripts/bench/jdbc (run through it: `scripts/bench/jdbc source`).

A PostgreSQL table of N rows, 10 columns -> connect-worker's JdbcSourceConnector (bulk and
incrementing) -> a topic, side by side with `psql \\copy (SELECT ...) to stdout | kcat -P` of the
same rows; alternating order, median and spread of RUNS, the worker's peak RSS.
"""
import json, os, statistics, subprocess, sys, time

binary, env_json, work, n, runs = sys.argv[1:6]
n, runs = int(n), int(runs)
env = json.load(open(env_json))
stamp = str(int(time.time()))
bootstrap = env["bootstrap_servers"]


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


pg = dict(os.environ, PGPASSWORD=env["postgres_password"], PGCONNECT_TIMEOUT="10")
db = f"bench_jdbcsrc_{stamp}"
conn_args = ["-h", env["postgres_host"], "-p", str(env["postgres_port"]), "-U", env["postgres_user"]]


def psql(sql, database=None, check=True):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", *conn_args,
                          "-d", database or db, "-c", sql], env=pg, capture_output=True, text=True)
    if check and out.returncode != 0:
        raise SystemExit(f"bench: psql {sql!r}: {out.stderr.strip()}")
    return out.stdout.strip()


psql(f"CREATE DATABASE {db}", database="postgres")
# The same 10 columns as the sink half, filled server-side.
psql("CREATE TABLE rows (id BIGINT PRIMARY KEY, qty INT NOT NULL, total BIGINT NOT NULL, "
     "name TEXT NOT NULL, price DOUBLE PRECISION NOT NULL, active BOOLEAN NOT NULL, "
     "city TEXT NOT NULL, version BIGINT NOT NULL, note TEXT NOT NULL, "
     "score DOUBLE PRECISION NOT NULL)")
psql(f"INSERT INTO rows SELECT i, i % 1000, i * 37, 'name-' || lpad(i::text, 7, '0'), "
     f"(i % 10007) / 7.0, i % 3 = 0, (ARRAY['Oslo','Lisboa','Zürich','Nairobi','Osaka','Lima',"
     f"'Perth','Quebec'])[i % 8 + 1], i / 10, 'note ' || i || ' with, a comma', (i % 101) * 1.5 "
     f"FROM generate_series(1, {n}) i")
psql("VACUUM ANALYZE rows")
say(f"table rows: {n:,} rows in {db}")


def end_offset(topic):
    out = subprocess.run(["kcat", "-Q", "-b", bootstrap, "-t", f"{topic}:0:-1"],
                         capture_output=True, text=True)
    # "topic [0] offset N"
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "offset":
            return int(parts[3])
    return 0


def run_pipe(r):
    topic = f"bench-jdbcsrc-pipe-{r}-{stamp}"
    t0 = time.monotonic()
    dump = subprocess.Popen(["psql", "-X", "-q", *conn_args, "-d", db, "-c",
                             "\\copy (SELECT * FROM rows ORDER BY id) to stdout with (format csv)"],
                            env=pg, stdout=subprocess.PIPE)
    kcat = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", "0"],
                          stdin=dump.stdout, capture_output=True, text=True)
    dump.stdout.close()
    if dump.wait() != 0 or kcat.returncode != 0:
        raise SystemExit(f"bench: psql | kcat failed: {kcat.stderr.strip()}")
    secs = time.monotonic() - t0
    got = end_offset(topic)
    assert got == n, f"the pipe wrote {got} messages, not {n}"
    return secs, None


def run_worker(mode, r):
    name = f"bench-jdbcsrc-{mode}-{r}-{stamp}"
    prefix = f"{name}-"
    topic = f"{prefix}rows"
    d = os.path.join(work, name)
    os.makedirs(d)
    props = os.path.join(d, "worker.properties")
    with open(props, "w") as f:
        f.write(f"bootstrap.servers={bootstrap}\nlisteners=http://127.0.0.1:0\n"
                f"offset.storage.file.filename={d}/offsets\noffset.flush.interval.ms=10000\n")
    conn = os.path.join(d, "source.properties")
    extra = "incrementing.column.name=id\n" if mode == "incrementing" else ""
    with open(conn, "w") as f:
        # One read of the table: the next bulk poll is an hour away.
        f.write(f"name={name}\nconnector.class=io.confluent.connect.jdbc.JdbcSourceConnector\n"
                f"mode={mode}\n{extra}table.whitelist=rows\ntopic.prefix={prefix}\n"
                "poll.interval.ms=3600000\nbatch.max.rows=5000\n"
                "key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                f"connection.url=jdbc:postgresql://{env['postgres_host']}:{env['postgres_port']}/{db}\n"
                f"connection.user={env['postgres_user']}\n"
                f"connection.password={env['postgres_password']}\n")
    log = open(os.path.join(d, "worker.log"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "standalone", props, conn], stderr=log, stdout=log)
    try:
        while end_offset(topic) < n:
            if p.poll() is not None:
                raise SystemExit(f"bench: the worker exited; see {d}/worker.log")
            if time.monotonic() - t0 > 900:
                raise SystemExit(f"bench: {mode} did not finish in 900 s; see {d}/worker.log")
            time.sleep(0.2)
        secs = time.monotonic() - t0
        rss = 0
        with open(f"/proc/{p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    rss = int(line.split()[1]) / 1024
    finally:
        p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
    got = end_offset(topic)
    assert got == n, f"{mode} wrote {got} records, not {n}"
    return secs, rss


sides = ["pipe", "bulk", "incrementing"]
results = {s: [] for s in sides}
# The machine is shared: the 1-minute load average after each measurement goes with the figures.
loads = []
for r in range(runs):
    order = sides[r % 3:] + sides[:r % 3]
    for s in order:
        secs, rss = run_pipe(r) if s == "pipe" else run_worker(s, r)
        results[s].append((secs, rss))
        loads.append(os.getloadavg()[0])
        say(f"run {r + 1}: {s} {secs:.2f} s, {n / secs:,.0f} rows/s"
            + (f", peak RSS {rss:.1f} MiB" if rss else "") + f", load average {loads[-1]:.1f}")


def med(s):
    return statistics.median(t for t, _ in results[s])


pipe_rate = n / med("pipe")
print(f"\n{n:,} rows, 10 columns, median of {runs} runs (spread min-max), "
      f"1-minute load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores\n")
print("| what | time | rows/s | ratio to the pipe | worker peak RSS |")
print("|---|---|---|---|---|")
for s in sides:
    ts = [t for t, _ in results[s]]
    rss = [m for _, m in results[s] if m]
    label = {"pipe": "`psql \\copy (SELECT ...) to stdout | kcat -P`",
             "bulk": "connect-worker, mode=bulk",
             "incrementing": "connect-worker, mode=incrementing"}[s]
    print(f"| {label} | {med(s):.2f} s ({min(ts):.2f}-{max(ts):.2f}) | {n / med(s):,.0f} | "
          f"{(n / med(s)) / pipe_rate:.2f}x | "
          + (f"{statistics.median(rss):.1f} MiB" if rss else "-") + " |")
psql(f"DROP DATABASE {db}", database="postgres", check=False)
