"""Who may use the staff page: token check and a per-address limit on wrong guesses.

Pure of HTTP: the server asks `Authenticator.check()` with what the request presented and
acts on the answer. Only *wrong* credentials count as failures; a browser arriving with no
cookie is simply shown the login form, so a normal page load can never lock staff out.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from enum import Enum

from player.http.token import cookie_value

MAX_FAILURES = 10
WINDOW_S = 60.0
MAX_TRACKED_ADDRESSES = 1024  # bounds memory if someone sprays from many addresses


class Verdict(Enum):
    OK = "ok"
    MISSING = "missing"  # nothing presented: 401, not counted
    WRONG = "wrong"  # presented and wrong: 401, counted
    LIMITED = "limited"  # too many wrong ones from this address lately: 429, nothing checked


class FailureLimiter:
    """Sliding-window count of failures per client address.

    Args:
        max_failures: failures allowed within `window_s`; the next attempt is refused.
        window_s: how far back failures count.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        cutoff = self._clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def is_limited(self, address: str) -> bool:
        times = self._recent(address)
        return times is not None and len(times) >= self.max_failures

    def retry_after_s(self, address: str) -> float:
        """Seconds until `address` may try again (0 when it may now)."""
        times = self._recent(address)
        if times is None or len(times) < self.max_failures:
            return 0.0
        return max(0.0, times[-self.max_failures] + self.window_s - self._clock())

    def record_failure(self, address: str) -> None:
        times = self._recent(address) or deque(maxlen=self.max_failures)
        times.append(self._clock())
        self._failures[address] = times
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_TRACKED_ADDRESSES:
            self._failures.popitem(last=False)


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


class Authenticator:
    """Checks a Bearer token, a login cookie or a login form's token for one client address."""

    def __init__(self, token: str, limiter: FailureLimiter) -> None:
        self._token = token
        self._cookie = cookie_value(token)
        self.limiter = limiter

    @property
    def cookie(self) -> str:
        """The value the login form sets in the browser."""
        return self._cookie

    def check(self, address: str, *, bearer: str | None = None, cookie: str | None = None,
              token: str | None = None) -> Verdict:
        """Judge what a request presented. A bearer header wins over a cookie.

        Args:
            address: the client's address, the key of the failure limit.
            bearer: the token from an ``Authorization: Bearer`` header.
            cookie: the login cookie's value.
            token: a token typed into the login form.
        """
        if self.limiter.is_limited(address):
            return Verdict.LIMITED
        if bearer is not None:
            ok = _same(bearer, self._token)
        elif token is not None:
            ok = _same(token.strip(), self._token)
        elif cookie is not None:
            ok = _same(cookie, self._cookie)
        else:
            return Verdict.MISSING
        if ok:
            return Verdict.OK
        self.limiter.record_failure(address)
        return Verdict.WRONG
