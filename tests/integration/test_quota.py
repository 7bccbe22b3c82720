"""MAX_TASKS_PER_USER (issue #10): a create past the quota is 422 `quota_exceeded`
naming the limit, enforced inside the create statement, so concurrent creates of
one user cannot overshoot; deletes free quota; other users are not affected."""

import threading
import unittest

import harness
from harness.taskapi import ApiTestCase

QUOTA = 3
setUpModule, tearDownModule = harness.module_fixtures(
    workers=4, env={"MAX_TASKS_PER_USER": str(QUOTA)})


class Quota(ApiTestCase):
    def concurrent_creates(self, n):
        statuses, bodies, lock = [], [], threading.Lock()
        barrier = threading.Barrier(n)

        def create(i):
            conn = self.stack.connection(timeout=30)
            try:
                barrier.wait()
                r = self.call("POST", "/api/tasks", body={"title": "t%d" % i}, conn=conn)
                with lock:
                    statuses.append(r.status)
                    bodies.append(r)
            finally:
                conn.close()

        threads = [threading.Thread(target=create, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return statuses, bodies

    def test_concurrent_creates_stop_exactly_at_the_quota(self):
        statuses, bodies = self.concurrent_creates(12)
        self.assertEqual(sorted(statuses), [201] * QUOTA + [422] * (12 - QUOTA), statuses)
        for r in bodies:
            if r.status == 422:
                body = self.assertError(r, 422, code="quota_exceeded")
                self.assertIn(str(QUOTA), body["detail"])
        self.assertEqual(self.count_rows("user_id = '%s'" % self.sub), QUOTA)
        me = self.call("GET", "/api/me").json["data"]["stats"]
        self.assertEqual(me["total"], QUOTA)
        self.assertEqual(self.call("GET", "/api/tasks").json["meta"]["total"], QUOTA)
        # Another user is not affected.
        other = self.call("POST", "/api/tasks", body={"title": "x"}, sub=self.sub + "-other")
        self.assertEqual(other.status, 201, other)

    def quota_refusals(self):
        r = self.stack.request("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        for line in r.body.decode().splitlines():
            if line.startswith("todo_api_quota_refusals_total "):
                return float(line.split()[1])
        self.fail("no todo_api_quota_refusals_total in /metrics")

    def test_refusals_are_counted_in_the_metrics(self):
        for i in range(QUOTA):
            self.create(title="t%d" % i)
        before = self.quota_refusals()
        for _ in range(2):
            self.assertError(self.call("POST", "/api/tasks", body={"title": "over"}), 422,
                             code="quota_exceeded")
        self.assertEqual(self.quota_refusals() - before, 2)

    def test_deletes_free_quota(self):
        made = [self.create(title="t%d" % i, completed=(i == 0)) for i in range(QUOTA)]
        self.assertError(self.call("POST", "/api/tasks", body={"title": "over"}), 422,
                         code="quota_exceeded")
        r = self.call("DELETE", "/api/tasks/" + made[1]["id"])
        self.assertEqual(r.status, 204, r)
        self.create(title="again")
        self.assertError(self.call("POST", "/api/tasks", body={"title": "over"}), 422,
                         code="quota_exceeded")
        r = self.call("DELETE", "/api/tasks?completed=true")
        self.assertEqual(r.json["data"], {"deleted": 1})
        self.create(title="after bulk delete")
        self.assertEqual(self.count_rows("user_id = '%s'" % self.sub), QUOTA)


if __name__ == "__main__":
    unittest.main()
