"""Two pools behind one nginx, as two machines (docs/SCALING.md, step 2).

The site is the shipped file with its active upstream replaced by the commented
several-hosts example (taken from the file itself, addresses pointed at two local TCP
ports) and `fastcgi_next_upstream error timeout` stated in the server block. One pool is
killed with SIGKILL (master and workers) under a stream of mixed requests:

- no GET fails: nginx passes a GET whose pool died to the other pool;
- no create is duplicated: a POST that reached the dead pool is never sent again (it
  may fail with 502, and then it was not acknowledged);
- every acknowledged (201) create is in the database, once.

After a restart the killed pool takes traffic again: with the other pool stopped, every
request still succeeds.
"""

import os
import re
import secrets
import signal
import threading
import time
import unittest

import harness

PORT_A, PORT_B = harness.free_port(), harness.free_port()
WORKERS = 2


def upstream_variant(site):
    """The rendered site with the commented several-hosts upstream made active."""
    with open(harness.SITE_FILE) as f:
        shipped = f.read()
    m = re.search(r"(?m)^#upstream todo_api\n(?:#.*\n)*?#\}\n", shipped)
    if not m:
        raise ValueError("nginx/todo-api.conf: no commented several-hosts upstream example")
    example = re.sub(r"(?m)^#", "", m.group(0))
    hosts = re.findall(r"server (\S+) ", example)
    if len(hosts) != 2:
        raise ValueError("expected two servers in the example, found %r" % hosts)
    example = example.replace(hosts[0], "127.0.0.1:%d" % PORT_A)
    example = example.replace(hosts[1], "127.0.0.1:%d" % PORT_B)
    example = example.replace("fail_timeout=5s", "fail_timeout=1s")  # quicker back
    active = re.search(r"(?m)^upstream todo_api \{\n    server unix:[^\n]*;\n\}\n", site)
    if not active:
        raise ValueError("rendered site: no active upstream block")
    site = site.replace(active.group(0), example)
    # The retry policy, as the commented line in the shipped file states it.
    stated = re.search(r"(?m)^#\s*(fastcgi_next_upstream [^;\n]*;)", shipped)
    if not stated or "non_idempotent" in stated.group(1):
        raise ValueError("nginx/todo-api.conf: no safe fastcgi_next_upstream example")
    if site.count("    fastcgi_keep_conn off;\n") != 1:
        raise ValueError("rendered site: no fastcgi_keep_conn line")
    return site.replace("    fastcgi_keep_conn off;\n",
                        "    fastcgi_keep_conn off;\n    %s\n" % stated.group(1))


COMMON_ENV = {"USER_RATE_LIMIT": "0", "MAX_TASKS_PER_USER": "0"}
setUpModule_a, tearDownModule_a = harness.module_fixtures(
    workers=WORKERS, site_filter=upstream_variant,
    env=dict(COMMON_ENV, FCGI_SOCKET="127.0.0.1:%d" % PORT_A))
POOL_B = None


def setUpModule():
    global POOL_B
    setUpModule_a()
    a = harness.current()
    # The second machine: its own pool, the same database and keys.
    POOL_B = harness.Stack(workers=WORKERS, postgres=False, nginx=False, migrate=False,
                         jwt_secret=a.jwt_secret,
                         env=dict(COMMON_ENV, FCGI_SOCKET="127.0.0.1:%d" % PORT_B,
                                  DATABASE_URL=a.database_url()))
    try:
        POOL_B.start()
    except BaseException:
        tearDownModule_a()
        raise


def tearDownModule():
    if POOL_B:
        POOL_B.stop()
    tearDownModule_a()


class MixedStream:
    """Threads sending list, get and create (unique titles) until stopped."""

    def __init__(self, s, threads=6):
        self.s = s
        self.run_id = secrets.token_hex(3)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.gets, self.get_failures = 0, []
        self.creates = {}  # title -> (status, id or None)
        self.threads = [threading.Thread(target=self._client, args=(n,)) for n in range(threads)]

    def user(self, n):
        return "pools-%s-%d" % (self.run_id, n)

    def _client(self, n):
        token = self.s.token(self.user(n))
        seed = self.s.request("POST", "/api/tasks", body={"title": "seed"}, token=token)
        if seed.status != 201:
            with self.lock:
                self.get_failures.append(("seed", seed))
            return
        task_id = seed.json["data"]["id"]
        i = 0
        while not self.stop.is_set():
            i += 1
            kind = i % 3
            try:
                if kind == 0:
                    title = "%s-%d-%d" % (self.run_id, n, i)
                    r = self.s.request("POST", "/api/tasks", body={"title": title},
                                       token=token, timeout=30)
                    made = r.json["data"]["id"] if r.status == 201 else None
                    with self.lock:
                        self.creates[title] = (r.status, made)
                    continue
                path = "/api/tasks" if kind == 1 else "/api/tasks/" + task_id
                r = self.s.request("GET", path, token=token, timeout=30)
                with self.lock:
                    self.gets += 1
                    if r.status != 200:
                        self.get_failures.append((path, r))
            except Exception as e:  # noqa: BLE001 - a failed request is the finding
                with self.lock:
                    if kind == 0:
                        self.creates[title] = ("exception %r" % e, None)
                    else:
                        self.gets += 1
                        self.get_failures.append((kind, e))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()
        return False


def kill_pool(pool):
    """SIGKILL the pool's master and every worker at once, as a machine that dies."""
    pids = [pool.pool_proc.pid] + pool.worker_pids()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    pool.pool_proc.wait(10)
    harness.wait_until(lambda: not any(harness.alive(p) for p in pids), 5, what="pool B gone")
    return pids


class TwoPoolsBehindOneNginx(harness.StackTestCase):
    def test_the_site_variant_has_both_pools_and_no_post_retry(self):
        with open(os.path.join(self.stack.dir, "nginx", "todo-api.conf")) as f:
            site = f.read()
        self.assertIn("server 127.0.0.1:%d " % PORT_A, site)
        self.assertIn("server 127.0.0.1:%d " % PORT_B, site)
        self.assertRegex(site, r"(?m)^\s*fastcgi_next_upstream error timeout;")
        active = [l for l in site.splitlines() if not l.lstrip().startswith("#")]
        self.assertEqual([l for l in active if "non_idempotent" in l], [])
        self.assertNotRegex(site, r"(?m)^\s*server unix:")

    def test_kill_one_pool_under_mixed_load_then_it_comes_back(self):
        a, b = self.stack, POOL_B
        with MixedStream(a) as stream:
            time.sleep(1.5)
            before = (stream.gets, len(stream.creates))
            killed = kill_pool(b)
            time.sleep(2.0)
            during = (stream.gets - before[0], len(stream.creates) - before[1])
            b.stop_pool()  # reaps
            b.start_pool()
            time.sleep(2.0)
        # No failed GET.
        self.assertEqual(stream.get_failures, [], "failed GETs")
        self.assertGreater(during[0], 0, "no GET answered while pool B was dead")
        # Creates: 201, or a 502 for a POST that was in flight on the killed pool.
        statuses = {}
        for status, _ in stream.creates.values():
            statuses[status] = statuses.get(status, 0) + 1
        self.assertEqual(set(statuses) - {201, 502}, set(), statuses)
        acked = {t: made for t, (status, made) in stream.creates.items() if status == 201}
        self.assertGreater(len(acked), 20, statuses)  # the stream did create under the kill
        # In the database: every acknowledged create once, and no title twice.
        rows = a.psql("SELECT title, id, count(*) OVER (PARTITION BY title) FROM todo.tasks "
                      "WHERE title LIKE '%s-%%'" % stream.run_id).splitlines()
        stored = {}
        for line in rows:
            title, task_id, count = line.split("|")
            self.assertEqual(count, "1", "duplicated create: %s" % line)
            stored[title] = task_id
        for title, made in acked.items():
            self.assertEqual(stored.get(title), made, "acknowledged create missing: " + title)
        self.assertEqual(set(stored) - set(stream.creates), set())
        harness.log("two pools, pool B killed (pids %s): %d GETs (%d while B was dead), "
                   "0 failed; creates %s; %d stored, 0 duplicated, every 201 present"
                   % (killed, stream.gets, during[0], statuses, len(stored)))

        # Pool B takes traffic again: stop pool A, and every request still succeeds.
        token = a.token("pools-after-restart")
        a.stop_pool()
        try:
            for _ in range(20):
                r = a.request("GET", "/api/tasks", token=token, timeout=10)
                self.assertEqual(r.status, 200, r)
            r = a.request("POST", "/api/tasks", body={"title": "via B"}, token=token)
            self.assertEqual(r.status, 201, r)
        finally:
            a.start_pool()


if __name__ == "__main__":
    unittest.main()
