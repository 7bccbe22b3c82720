"""The pool on an inherited socket, as todo-api.socket (systemd) or spawn-fcgi hand
it over: the harness owns the socket the way systemd does.

Because the socket outlives the pool, a restart (`systemctl restart todo-api`) must
fail no request: nginx's connections wait in the socket's backlog until the new
master's workers accept them."""

import os
import time
import unittest

import harness

WORKERS = 2
setUpModule, tearDownModule = harness.module_fixtures(workers=WORKERS, listen="systemd",
                                                    shutdown_timeout=5)


class SocketActivation(harness.StackTestCase):
    def setUp(self):
        if self.stack.pool_proc is None or self.stack.pool_proc.poll() is not None:
            self.stack.stop_pool()  # reaps what a failed test may have left
            self.stack.start_pool()

    def test_serves_on_the_systemd_socket_and_leaves_it_alone(self):
        inode = os.stat(self.stack.fcgi_socket).st_ino
        r = self.stack.request("GET", "/api/health")
        self.assertEqual(r.status, 200, r)
        self.assertIn("socket activation", harness.tail(self.stack.logs["pool"], 200))
        self.assertEqual(self.stack.stop_pool(), 0)
        # The pool neither rebinds (FCGI_SOCKET is set too) nor unlinks systemd's socket.
        self.assertTrue(os.path.exists(self.stack.fcgi_socket))
        self.assertEqual(os.stat(self.stack.fcgi_socket).st_ino, inode)

    def test_restart_fails_no_request(self):
        with harness.RequestStream(self.stack, seconds=2.5, timeout=15) as stream:
            old = self.stack.pool_pid
            t0 = time.monotonic()
            self.assertEqual(self.stack.stop_pool(), 0)
            self.stack.start_pool()
            gap = time.monotonic() - t0
        results, errors = stream.results, stream.errors
        self.assertNotEqual(self.stack.pool_pid, old)
        self.assertEqual(errors, [], "restart gap %.2f s" % gap)
        self.assertGreater(len(results), 20, "the stream did not run")

    def test_spawn_fcgi_style_socket_on_stdin(self):
        self.stack.stop_pool()
        self.stack.listen = "stdin"
        try:
            self.stack.start_pool()
            r = self.stack.request("GET", "/api/health")
            self.assertEqual(r.status, 200, r)
            self.assertIn("inherited socket on fd 0", harness.tail(self.stack.logs["pool"], 50))
        finally:
            self.stack.stop_pool()
            self.stack.listen = "systemd"


if __name__ == "__main__":
    unittest.main()
