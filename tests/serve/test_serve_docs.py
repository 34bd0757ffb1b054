#!/usr/bin/env python3
"""Every example of docs/service.md runs: its ```sh blocks in order, in one shell, from a
copy of the policies and examples, the server the first block starts on a free port
instead of 8080; each must succeed, and the decision it asks for is the example's.
usage: test_serve_docs.py path/to/relgate [FILTER]"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servehelp import REPO  # noqa: E402
from harness import Failure, case, main  # noqa: E402
import harness  # noqa: E402

DOC = REPO / "docs" / "service.md"


def blocks():
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@case("docs/service.md: every example runs against the server its first example starts")
def _(t):
    for tool in ("curl", "jq", "sha256sum"):
        if not shutil.which(tool):
            t.skip("%s is not installed" % tool)
    found = blocks()
    t.check(len(found) >= 4, "too few examples in docs/service.md", actual=len(found))
    t.check(re.search(r"(?m)^relgate serve ", found[0]), "the first example does not start the server", actual=found[0])
    for d in ("policies", "examples"):
        shutil.copytree(REPO / d, t.tmp / d, symlinks=True)
    bindir = t.tmp / "bin"
    bindir.mkdir()
    (bindir / "relgate").symlink_to(harness.RELGATE)
    port = free_port()
    # The server in the background, then each example once it answers.
    first = re.sub(r"(?m)^(relgate serve (?:.*\\\n)*.*)$", r"\1 >server.out 2>server.log &\necho $! > server.pid", found[0])
    wait = ("for i in $(seq 200); do curl -sf http://127.0.0.1:8080/health >/dev/null && break; sleep 0.1; done\n"
            "curl -sf http://127.0.0.1:8080/health >/dev/null\n")
    script = "set -eu\n" + first + wait + "\n".join("echo '--- example %d'\n%s" % (i + 2, b) for i, b in enumerate(found[1:]))
    script = script.replace("127.0.0.1:8080", "127.0.0.1:%d" % port)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ.get("PATH", "")), RELGATE_TOKEN="a-token-for-the-docs")
    proc = subprocess.Popen(["bash", "-c", script], cwd=t.tmp, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=180)
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        if proc.returncode != 0:
            log = (t.tmp / "server.log").read_text(errors="replace") if (t.tmp / "server.log").exists() else ""
            raise Failure("a docs/service.md example failed (exit %d)" % proc.returncode,
                          actual={"stdout": out[-2000:], "stderr": err[-2000:], "server": log[-2000:]})
        t.contains(out, "allow", "what the decision example prints")
        t.check(re.search(r"(?m)^[0-9a-f]{32}$", out), "the decision's id is not printed", actual=out[-1500:])
        t.contains(out, 'relgate_decisions_total{decision="allow",stage="pre-release"} ', "the metrics example")
        pid = int((t.tmp / "server.pid").read_text())
        os.kill(pid, signal.SIGTERM)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
