"""Check many random programs outside pytest:

    python tests/run_random_programs.py --programs 50000 --compiled 5000 --seed S --jobs 2 \
        --failures DIR

Program k is ``random_program(seed * 10**7 + k)``, k from ``--start`` (0); the first
``--compiled`` of them are also checked compiled (jit=True: their gradients, and the tangents
of one program in four). numba compiles them without LLVM's optimizations (``NUMBA_OPT=0``,
unless set), which halves its compile time and does not change what the code computes; numba's
cache then goes to a temporary directory (``NUMBA_CACHE_DIR``, unless set). Prints a progress
line, then ``N passed, M failed`` with refusals, crashes, skipped and discarded counts, then (on
stderr) the refusals counted by reason; writes each failure and crash (program, inputs,
mismatch) to DIR/<kind>-<k>[-jit].py."""
import argparse
import atexit
import collections
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
import warnings

os.environ.setdefault("NUMBA_OPT", "0")       # before numba is imported
if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="adc_random_numba_")
    atexit.register(shutil.rmtree, os.environ["NUMBA_CACHE_DIR"], True)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import program_check                                    # noqa: E402
from random_programs import random_program              # noqa: E402


def quiet_worker():
    """numba's print writes to file descriptor 1: send it to /dev/null in workers."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    # unoptimized code embeds addresses numba's disk cache cannot keep: it says so each time
    warnings.filterwarnings("ignore", message="Cannot cache compiled function")


def reason(refusal):
    """A refusal's message without its names and numbers: the construct refused."""
    message = refusal.strip().splitlines()[-1] if refusal.strip() else "(no message)"
    return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", message))


def run(task):
    base, k, jit = task
    program = random_program(base + k)
    outcome, used = program_check.check_program(program, base + k, jit=jit,
                                                second_order=not jit and k % 8 == 0,
                                                compiled_jvp=k % 4 == 0)
    report = program_check.describe(program, used, outcome) if outcome.kind in (
        "fail", "crash") else ""
    return k, jit, outcome.kind, report, reason(outcome.detail) if outcome.kind == "refusal" else ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--compiled", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0,
                        help="the first program's k (to go on with a run in parts)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--failures", default=None, help="directory for failing programs")
    args = parser.parse_args(argv)
    if args.failures:
        os.makedirs(args.failures, exist_ok=True)
    base = args.seed * 10 ** 7
    tasks = [(base, k, False) for k in range(args.start, args.start + args.programs)]
    tasks += [(base, k, True) for k in range(args.start, args.start + args.compiled)]
    counts, refusals, start = collections.Counter(), collections.Counter(), time.time()
    with multiprocessing.Pool(args.jobs, initializer=quiet_worker, maxtasksperchild=500) as pool:
        for done, (k, jit, kind, report, why) in enumerate(pool.imap_unordered(run, tasks), 1):
            counts[kind] += 1
            if why:
                refusals[why] += 1
            if args.failures and kind in ("fail", "crash"):
                name = f"{kind}-{k}{'-jit' if jit else ''}.py"
                with open(os.path.join(args.failures, name), "w") as fh:
                    fh.write(report + "\n")
            if done % 100 == 0 or done == len(tasks):
                print(f"[{done}/{len(tasks)} {time.time() - start:.0f}s] " +
                      ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())),
                      file=sys.stderr, flush=True)
    for why, n in refusals.most_common():
        print(f"{n:7d} refused: {why}", file=sys.stderr)
    print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['refusal']} refused, "
          f"{counts['crash']} crashed, {counts['skip']} skipped, {counts['discard']} discarded")
    return 1 if counts["fail"] or counts["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
