"""How ``tests/test_corpus.py`` runs its scripts: a fork server, a fresh-interpreter fallback, the truth recorder.

Importing TensorFlow and Keras costs a new interpreter ~7-8 CPU-s, which is most of a corpus run.
The fork server (``python tests/corpus_runner.py --serve``) imports tensorflow, keras and numpy --
never gradviz, and never runs a TensorFlow op, so its eager context stays uninitialised -- and then
forks one child per request from that pristine state; a child is never reused. A child is what a
fresh ``python`` would be after those imports:

* its own process group (a timeout kills the group), the ``cwd`` the test gives, ``os.environ`` with
  every difference between the test's environment and the server's start applied (so it also keeps
  what importing TensorFlow set, such as ``TF2_BEHAVIOR``, as a fresh process would after that
  import), stdin ``/dev/null``, fd 1 and 2 redirected into files (TensorFlow's C++ logging lands
  there too), numpy's global random state reseeded from the OS (``random`` reseeds itself on fork,
  numpy does not);
* a ``gradviz`` request runs ``gradviz/__main__.py`` through ``runpy.run_module(..., alter_sys=True)``
  -- the code path of ``python -m gradviz run ...``, with ``sys.argv`` and ``sys.path[0]`` (the cwd)
  as ``-m`` sets them; a ``truth`` request runs :func:`record_truth`, which imports no gradviz (it
  checks);
* it ends as the interpreter would: ``SystemExit`` gives the exit code (a non-int code is printed,
  exit 1), an uncaught exception goes to ``sys.excepthook`` (exit 1); then non-daemon threads are
  joined, every ``atexit`` handler runs (the script's own and those TensorFlow, logging, h5py ...
  registered at import, as in a fresh interpreter), ``sys.stdout``/``sys.stderr`` and C's stdio
  buffers are flushed, and ``os._exit`` ends it. Module teardown and C++ static destructors are skipped: they write nothing
  the tests read, and are not known to be safe in a fork.

Variables read only at interpreter start or at TensorFlow's import (``PYTHON*`` such as
``PYTHONHASHSEED``, ``TF_*`` such as ``TF_CPP_MIN_LOG_LEVEL``, ``LD_*``, locale, thread-pool sizes)
cannot change in a child: the server starts with the environment the tests use, and a request whose
value differs is refused and runs in a fresh interpreter.

TensorFlow does not promise fork safety. The one thread alive after these imports is OpenBLAS's
pool (numpy), which shuts down and restarts around ``fork`` by itself. If the server cannot start,
stops answering, or a child dies by a signal or runs past its timeout, the run is repeated in a fresh
interpreter and :class:`RunResult` says why (``note``). ``GRADVIZ_CORPUS_FORK=0`` turns the server off.
``GRADVIZ_CORPUS_STATS=<file>`` appends one JSON line per run (how it ran, wall and CPU seconds).

Run as a program, ``--truth <script> <out.json>`` records the ground truth in a fresh interpreter.
This module imports only the standard library at import time.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve()
SERVER_START_TIMEOUT_S = 600  # importing TensorFlow on a loaded 2-core machine can take minutes
REPLY_GRACE_S = 60  # how much longer than a run's timeout the client waits for the server's reply
HARNESS_FAILED = 199  # exit code of a child whose own set-up failed (before the script ran)
# Read once at interpreter start or at TensorFlow/numpy import: a child cannot change them.
FROZEN_ENV_PREFIXES = (
    "PYTHON",
    "TF_",
    "KERAS_",
    "XLA_",
    "CUDA",
    "LD_",
    "MALLOC",
    "OMP_",
    "OPENBLAS",
    "MKL_",
    "LC_",
    "LANG",
)


def fresh_command(kind: str, args: list[str]) -> list[str]:
    """The fresh-interpreter command a request stands for."""
    if kind == "gradviz":
        return [sys.executable, "-m", "gradviz", "run", *args]
    if kind == "truth":
        return [sys.executable, str(HERE), "--truth", *args]
    raise ValueError(f"unknown kind {kind!r}")


@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    via: str  # "fork" (a fork-server child) or "fresh" (a new interpreter)
    note: str | None = None  # why a run fell back to a fresh interpreter, for the test output
    cpu_s: float | None = None  # user+system CPU of the run's process (and what it waited for)
    wall_s: float | None = None

    def describe(self) -> str:
        how = "a fork-server child" if self.via == "fork" else "a fresh interpreter"
        return f"ran in {how}" + (f" ({self.note})" if self.note else "")


class Runner:
    """Runs corpus requests for one pytest process: in fork-server children, else fresh interpreters."""

    def __init__(self, *, env: dict[str, str], cwd: Path, workdir: Path, timeout: float, fork: bool = True):
        """``env`` is the environment the server starts with: the one the tests pass to their runs."""
        self.cwd, self.workdir, self.timeout = Path(cwd), Path(workdir), timeout
        self.stats_path = os.environ.get("GRADVIZ_CORPUS_STATS")
        self._server: subprocess.Popen | None = None
        self._req_w: int | None = None
        self._rep_r: int | None = None
        self._buf = b""
        self._ready = False
        self.broken: str | None = None  # why the server is not used, once it failed
        self.fork = fork
        if fork:
            self._start(env)

    # --- the server -------------------------------------------------------------------------

    def _start(self, env: dict[str, str]) -> None:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        log = open(self.workdir / "forkserver.log", "wb")
        try:
            self._server = subprocess.Popen(
                [sys.executable, str(HERE), "--serve", str(req_r), str(rep_w)],
                pass_fds=(req_r, rep_w),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )
        except OSError as e:
            os.close(req_w)
            os.close(rep_r)
            self.broken = f"the fork server did not start: {e}"
            return
        finally:
            log.close()
            os.close(req_r)
            os.close(rep_w)
        self._req_w, self._rep_r = req_w, rep_r

    def _read_reply(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._rep_r], [], [], left)[0]:
                return None
            chunk = os.read(self._rep_r, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def _server_log_tail(self) -> str:
        try:
            text = (self.workdir / "forkserver.log").read_text(errors="replace").strip()
        except OSError:
            return ""
        return f"; its log ends: {text[-600:]!r}" if text else ""

    def _give_up(self, why: str) -> None:
        self.broken = why + self._server_log_tail()
        self.close()

    def _ensure_ready(self) -> bool:
        if not self.fork or self.broken:
            return False
        if not self._ready:
            hello = self._read_reply(SERVER_START_TIMEOUT_S)
            if not hello or not hello.get("ready"):
                why = (hello or {}).get("error") or "no answer"
                self._give_up(f"the fork server could not start ({why})")
                return False
            self._ready = True
        return True

    def close(self) -> None:
        """Stop the server (it exits on EOF; killed if it does not within a few seconds)."""
        for fd in (self._req_w, self._rep_r):
            if fd is not None:
                os.close(fd)
        self._req_w = self._rep_r = None
        if self._server is not None:
            try:
                self._server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _killpg(self._server.pid)
                self._server.wait()
            self._server = None

    # --- one run ----------------------------------------------------------------------------

    def run(self, kind: str, args: list[str], *, env: dict[str, str], outdir: Path) -> RunResult:
        """Do what ``fresh_command(kind, args)`` does with ``env``; stdout and stderr are kept in ``outdir``."""
        stdout, stderr = outdir / f"{kind}.stdout", outdir / f"{kind}.stderr"
        ready = self._ensure_ready()
        note = self.broken
        if ready:
            request = {
                "kind": kind,
                "args": args,
                "cwd": str(self.cwd),
                "env": env,
                "stdout": str(stdout),
                "stderr": str(stderr),
                "timeout": self.timeout,
            }
            try:
                os.write(self._req_w, json.dumps(request).encode() + b"\n")
                reply = self._read_reply(self.timeout + REPLY_GRACE_S)
            except OSError as e:
                reply, why = None, f"the fork server's pipe failed ({e})"
            else:
                why = "the fork server stopped answering"
            if reply is None:
                self._give_up(why)
                note = self.broken
            elif reply["status"] == "exited" and reply["returncode"] != HARNESS_FAILED:
                result = RunResult(
                    reply["returncode"], _read(stdout), _read(stderr), "fork", cpu_s=reply["cpu"], wall_s=reply["wall"]
                )
                self._stat(kind, args, outdir, result)
                return result
            else:
                note = {
                    "signaled": f"the fork-server child died by signal {reply.get('signal')}",
                    "timeout": f"the fork-server child ran past {self.timeout:g} s and was killed",
                    "exited": "the fork-server child failed to set up",
                    "refused": f"the fork server refused the run: {reply.get('reason')}",
                }[reply["status"]]
                tail = _read(stderr)[-800:]
                if tail:
                    note += f"; its stderr ended: {tail!r}"
        result = self._run_fresh(kind, args, env, stdout, stderr)
        if note:
            result.note = f"{note}; ran in a fresh interpreter instead"
        self._stat(kind, args, outdir, result)
        return result

    def _run_fresh(self, kind: str, args: list[str], env: dict[str, str], stdout: Path, stderr: Path) -> RunResult:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            proc = subprocess.Popen(
                fresh_command(kind, args),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )
            try:
                rc = proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _killpg(proc.pid)
                proc.wait()
                raise
            finally:
                _killpg(proc.pid)  # leftovers the script started in its group
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return RunResult(rc, _read(stdout), _read(stderr), "fresh", cpu_s=cpu, wall_s=time.monotonic() - start)

    def _stat(self, kind: str, args: list[str], outdir: Path, result: RunResult) -> None:
        if not self.stats_path:
            return
        line = {
            "kind": kind,
            "script": args[0],
            "outdir": str(outdir),
            "via": result.via,
            "returncode": result.returncode,
            "cpu_s": result.cpu_s,
            "wall_s": result.wall_s,
            "note": result.note,
        }
        with open(self.stats_path, "a") as f:
            f.write(json.dumps(line) + "\n")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- the server process --------------------------------------------------------------------------


def serve(req_fd: int, rep_fd: int) -> int:
    """Import TensorFlow/Keras/numpy, then answer one JSON request per line, each in a new child."""

    def reply(message: dict) -> None:
        os.write(rep_fd, json.dumps(message).encode() + b"\n")

    start_env = dict(os.environ)  # before the imports, which set a few variables
    start_path = list(sys.path)
    try:
        import keras  # noqa: F401
        import numpy  # noqa: F401
        import tensorflow  # noqa: F401
        from tensorflow.python.eager import context

        if context._context is not None and context._context._context_handle is not None:
            raise RuntimeError("TensorFlow's eager context was initialised at import: forking is not safe")
        if any(m == "gradviz" or m.startswith("gradviz.") for m in sys.modules):
            raise RuntimeError("gradviz was imported: the truth children would not be independent of it")
    except BaseException as e:  # the client falls back, saying why
        reply({"ready": False, "error": f"{type(e).__name__}: {e}"})
        return 1
    reply({"ready": True, "pid": os.getpid()})
    with os.fdopen(req_fd, "rb") as requests:
        for line in requests:
            request = json.loads(line)
            keys = set(start_env) | set(request["env"])
            frozen = sorted(
                k for k in keys if k.startswith(FROZEN_ENV_PREFIXES) and start_env.get(k) != request["env"].get(k)
            )
            if frozen:
                reply({"status": "refused", "reason": f"{', '.join(frozen)} differ from the server's start"})
                continue
            changes = {k: request["env"].get(k) for k in keys if start_env.get(k) != request["env"].get(k)}
            reply(_fork_one(request, changes, req_fd, rep_fd, start_path))
    return 0


def _fork_one(request: dict, env_changes: dict, req_fd: int, rep_fd: int, start_path: list[str]) -> dict:
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = HARNESS_FAILED
        try:
            os.setpgid(0, 0)
            for fd in (req_fd, rep_fd):
                os.close(fd)
            code = _child(request, env_changes, start_path)
        except BaseException:
            import traceback

            traceback.print_exc()  # into the run's stderr file once it is redirected, else the server's log
            sys.stderr.flush()
        finally:
            os._exit(code)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child did it first, or is gone already
    outcome = _wait_exit(pid, request["timeout"], req_fd)
    if outcome != "exited":
        _killpg(pid)
    _, status, usage = os.wait4(pid, 0)
    _killpg(pid)  # leftovers the script started in its group
    wall, cpu = time.monotonic() - start, usage.ru_utime + usage.ru_stime
    if outcome == "client gone":
        raise SystemExit(0)  # the tests stopped (or died): so does the server, child killed
    if outcome == "timeout":
        return {"status": "timeout", "cpu": cpu, "wall": wall}
    if os.WIFSIGNALED(status):
        return {"status": "signaled", "signal": os.WTERMSIG(status), "cpu": cpu, "wall": wall}
    return {"status": "exited", "returncode": os.WEXITSTATUS(status), "cpu": cpu, "wall": wall}


def _wait_exit(pid: int, timeout: float, req_fd: int) -> str:
    """``"exited"`` (left to be reaped), ``"timeout"``, or ``"client gone"`` (the request pipe closed).

    The client sends nothing while it waits for a reply, so the request pipe turning readable means
    end of file: pytest finished, was interrupted or died.
    """
    deadline = time.monotonic() + timeout
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while (left := deadline - time.monotonic()) > 0:
            watch = [req_fd] if pidfd is None else [req_fd, pidfd]
            ready = select.select(watch, [], [], left if pidfd is not None else min(left, 0.05))[0]
            if req_fd in ready:
                return "client gone"
            if pidfd in ready or (
                pidfd is None and os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
            ):
                return "exited"
        return "timeout"
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _child(request: dict, env_changes: dict, start_path: list[str]) -> int:
    """Become the fresh process the request stands for, run it, and exit as the interpreter would."""
    import threading

    # Set-up: a failure here returns HARNESS_FAILED (the client then runs a fresh interpreter).
    os.chdir(request["cwd"])
    for key, value in env_changes.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # a fresh interpreter seeds it from the OS at import
    sys.path[:] = start_path
    code = 1
    try:
        if request["kind"] == "gradviz":
            import runpy

            sys.path[0] = os.getcwd()  # `python -m` puts the cwd first
            sys.argv = ["-m", "run", *request["args"]]
            runpy.run_module("gradviz", run_name="__main__", alter_sys=True)
            code = 0
        elif request["kind"] == "truth":
            code = record_truth(*request["args"])
        else:
            raise ValueError(f"unknown kind {request['kind']!r}")
    except SystemExit as e:
        code = _exit_code(e.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    # What the interpreter does at exit, in Py_FinalizeEx's order.
    try:
        threading._shutdown()
    except BaseException:
        sys.excepthook(*sys.exc_info())
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = code or 120  # as the interpreter does when flushing stdout fails
    try:  # C stdio buffers (printf from native code), which exit() would flush and os._exit does not
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass
    return code & 0xFF


def _exit_code(code: object) -> int:
    """The exit status the interpreter gives ``raise SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


# --- the truth recorder --------------------------------------------------------------------------


def record_truth(script: str, out: str) -> int:
    """Run ``script`` as ``__main__``, recording what every ``GradientTape.gradient`` and ``tf.gradients``
    call returned.

    Plain TensorFlow only: gradviz must not be imported (the ground truth would not be independent).
    """
    import ast
    import runpy
    import traceback

    if any(m == "gradviz" or m.startswith("gradviz.") for m in sys.modules):
        print("truth recorder: gradviz is imported; the ground truth must not depend on it", file=sys.stderr)
        return 3

    import tensorflow as tf
    from tensorflow.python.eager import backprop
    from tensorflow.python.ops import gradients_impl
    from tensorflow.python.util import tf_stack

    tf_dir = os.path.realpath(os.path.dirname(tf.__file__)) + os.sep
    script_path = os.path.realpath(script)
    tree = ast.parse(Path(script_path).read_text())
    calls: list[dict] = []
    original = backprop.GradientTape.gradient

    def status(g) -> str:
        if g is None:
            return "none"
        if isinstance(g, tf.IndexedSlices):
            g = g.values
        if not tf.executing_eagerly() and tf.is_symbolic_tensor(g):
            return "ok"
        return "zero" if not tf.reduce_any(tf.not_equal(g, 0)).numpy() else "ok"

    original_gradients = gradients_impl.gradients_v2

    def record(sources, result, method: str) -> None:
        # tf_stack maps frames of AutoGraph-generated code back to the user's lines and hides
        # autograph's own frames; [:-2] drops record() and the wrapper that called it
        frames = tf_stack.extract_stack()[:-2]
        if frames and os.path.realpath(frames[-1].filename).startswith(tf_dir):
            return  # TensorFlow's own use of a tape (a py_function's backward pass), not a user's call
        mine = [f for f in frames if os.path.realpath(f.filename) == script_path]
        line = mine[-1].lineno if mine else None
        direct = bool(frames) and os.path.realpath(frames[-1].filename) == script_path
        flat_sources, flat_grads = tf.nest.flatten(sources), tf.nest.flatten(result)
        is_sequence = isinstance(sources, (list, tuple, dict))
        exprs = _written_sources(tree, line, is_sequence, len(flat_sources), method) if direct and line else None
        calls.append(
            {
                "line": line,
                "sources": [
                    {
                        "expr": exprs[i] if exprs else None,
                        "name": getattr(s, "path", None) or getattr(s, "name", None),
                        "status": status(g),
                        "symbolic": not tf.executing_eagerly(),
                    }
                    for i, (s, g) in enumerate(zip(flat_sources, flat_grads))
                ],
            }
        )

    def gradient(self, target, sources, *args, **kwargs):
        result = original(self, target, sources, *args, **kwargs)
        record(sources, result, "gradient")
        return result

    def gradients(ys, xs, *args, **kwargs):
        result = original_gradients(ys, xs, *args, **kwargs)
        record(xs, result, "gradients")
        return result

    originals = {name: getattr(backprop.GradientTape, name) for name in ("jacobian", "batch_jacobian")}

    def jacobian_of(name: str):
        def jacobian(self, target, sources, *args, **kwargs):
            result = originals[name](self, target, sources, *args, **kwargs)
            record(sources, result, name)  # the gradient calls TensorFlow makes inside are its own
            return result

        return jacobian

    backprop.GradientTape.gradient = gradient
    for name in originals:
        setattr(backprop.GradientTape, name, jacobian_of(name))
    tf.gradients = gradients
    sys.argv = [script_path]
    sys.path.insert(0, os.path.dirname(script_path))
    rc = 0
    try:
        runpy.run_path(script_path, run_name="__main__")
    except SystemExit as exc:
        rc = _exit_code(exc.code)
    except BaseException:
        traceback.print_exc()
        rc = 1
    finally:
        backprop.GradientTape.gradient = original
        for name, fn in originals.items():
            setattr(backprop.GradientTape, name, fn)
        tf.gradients = original_gradients
        Path(out).write_text(json.dumps(calls, indent=1))
    return rc


def _written_sources(tree, line: int, is_sequence: bool, count: int, method: str = "gradient") -> list[str] | None:
    """The sources of the ``.gradient(...)`` or ``tf.gradients(...)`` call on ``line`` as written, one per
    flattened source.

    A list literal gives its elements; any other expression ``e`` gives ``e`` for a single
    source and ``e[i]`` for a sequence (``model.trainable_variables[2]``).
    """
    import ast

    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == method
            and node.lineno <= line <= node.end_lineno
        ):
            keyword = {"gradients": "xs", "batch_jacobian": "source"}.get(method, "sources")
            arg = node.args[1] if len(node.args) > 1 else {k.arg: k.value for k in node.keywords}.get(keyword)
            if isinstance(arg, (ast.List, ast.Tuple)):
                exprs = [ast.unparse(e) for e in arg.elts]
                return exprs if len(exprs) == count else None
            if arg is None:
                return None
            if not is_sequence:
                return [ast.unparse(arg)]
            return [f"{ast.unparse(arg)}[{i}]" for i in range(count)]
    return None


if __name__ == "__main__":
    if sys.argv[1:2] == ["--truth"]:
        sys.exit(record_truth(sys.argv[2], sys.argv[3]))
    if sys.argv[1:2] == ["--serve"]:
        sys.exit(serve(int(sys.argv[2]), int(sys.argv[3])))
    sys.exit(f"usage: {sys.argv[0]} --truth SCRIPT OUT.json | --serve REQUEST_FD REPLY_FD")
