"""Timing that holds on a loaded machine: hostile input against plain input, never a clock limit.

Both are run in turns, several rounds, and the best time of each compared: a busy
machine slows both alike, and only the best round says what the work costs.
"""

import math
import time
from collections.abc import Callable

# Past this many times the plain input's time, a hostile round stops: it has said enough.
GIVE_UP = 50


def slowdown(
    work: Callable[[str], object], hostile: str, plain: str, rounds: int = 5, calls: int = 1
) -> float:
    """How many times longer `work` takes on `hostile` than on `plain`, best round of each.

    Each round times `calls` calls on each input. Rounds stop once the hostile input
    is GIVE_UP times slower: before a fix, one call can take seconds.
    """
    best_plain = best_hostile = math.inf
    for _ in range(rounds):
        best_plain = min(best_plain, _timed(work, plain, calls, give_up_after=math.inf))
        give_up_after = GIVE_UP * best_plain * calls
        best_hostile = min(best_hostile, _timed(work, hostile, calls, give_up_after))
        if best_hostile > GIVE_UP * best_plain:
            break
    return best_hostile / best_plain


def _timed(work: Callable[[str], object], argument: str, calls: int, give_up_after: float):
    """Seconds per call, over `calls` calls or as many as ran before `give_up_after` seconds."""
    start = time.perf_counter()
    done = 0
    while done < calls:
        work(argument)
        done += 1
        if time.perf_counter() - start > give_up_after:
            break
    return (time.perf_counter() - start) / done
