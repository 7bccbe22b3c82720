"""unittest glue: one Stack per test module (module_fixtures), the running one (current),
and StackTestCase, whose failing tests print the tail of every log of the stack."""
import signal
import unittest

from .common import log
from .stack import Stack

_CURRENT = None


def current():
    """The stack of the running test module (module_fixtures)."""
    return _CURRENT


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def module_fixtures(**options):
    """(setUpModule, tearDownModule) that start and stop one Stack(**options)."""
    def set_up():
        global _CURRENT
        # SIGTERM (e.g. from a test runner) unwinds like Ctrl-C: teardown and atexit run.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited ignored
        _CURRENT = Stack(**options).start()
        log("stack up in %.2f s (%s) in %s" % (
            _CURRENT.timings["start"],
            ", ".join("%s %.2f s" % kv for kv in _CURRENT.timings.items() if kv[0] != "start"),
            _CURRENT.dir))

    def tear_down():
        global _CURRENT
        s, _CURRENT = _CURRENT, None
        if s:
            s.stop()
            log("stack down in %.2f s" % s.timings.get("stop", 0))
    return set_up, tear_down


class StackTestCase(unittest.TestCase):
    """Base class: `self.stack` is the module's stack; a failing test prints the tail
    of every log of the stack."""

    @property
    def stack(self):
        return _CURRENT

    def run(self, result=None):
        before = (len(result.failures), len(result.errors)) if result else None
        out = super().run(result)
        if result is not None and _CURRENT is not None and \
                (len(result.failures), len(result.errors)) != before:
            _CURRENT.print_logs()
        return out
