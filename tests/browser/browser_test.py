#!/usr/bin/env python3
"""The page in a real browser (issue 21): headless Chromium, driven through
its DevTools protocol (cdp.py), against the real master and two real slaves
on private MariaDB servers started by scripts/cluster.sh.

  1. the page asks for the token; once given, both slaves turn green;
  2. an INSERT typed in the SQL box shows each slave's outcome, and the row
     reaches both slaves' databases; text that looks like markup stays text;
  3. slave1 killed (SIGKILL, by PID) turns red; a write meanwhile leaves it behind;
  4. slave1 restarted turns green again, caught up;
  5. the page on a phone-sized screen.

A screenshot of each state goes to --artifacts (in the build tree). Every
wait is a condition with a deadline. Only what this test started is
stopped, each by its PID.
"""

import argparse
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER_SH = os.path.join(SOURCE_DIR, "scripts", "cluster.sh")

# Generous: two cores shared by several builds and test suites.
START_S = 120
STATE_S = 60


def log(message):
    print(f"browser_test: {message}", flush=True)


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count):
    """A base port such that base .. base+count-1 are free (cluster.sh gives node i base+i)."""
    for _ in range(50):
        base = free_port()
        if base + count < 65536 and all(port_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free loopback ports")


class Cluster:
    """Three private MariaDB servers (master, slave1, slave2) and the programs on them."""

    def __init__(self, work, master_bin, slave_bin):
        self.work = work
        self.dir = os.path.join(work, "cluster")
        self.master_bin = master_bin
        self.slave_bin = slave_bin
        self.http_port = free_port()
        self.env = dict(os.environ, SQLREPL_CLUSTER_DIR=self.dir,
                        SQLREPL_DB_BASE_PORT=str(free_ports(3)),
                        SQLREPL_LISTEN_PORT=str(free_port()),
                        SQLREPL_HTTP_PORT=str(self.http_port))
        self.token = None  # cluster.sh makes it (HTTP_TOKEN in master.env)
        self.processes = {}
        self.started = False

    def script(self, *args):
        with open(os.path.join(self.work, "cluster.out"), "ab") as out:
            status = subprocess.run([CLUSTER_SH, *args], env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, timeout=600).returncode
        if status != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed, see "
                               f"{os.path.join(self.work, 'cluster.out')}")

    def start_servers(self):
        self.started = True
        self.script("start", "3")
        with open(os.path.join(self.dir, "http_token")) as f:
            self.token = f.read().strip()
        for node in ("slave1", "slave2"):
            with open(os.path.join(self.dir, f"{node}.env"), "a") as f:
                f.write("RECONNECT_SECONDS=1\n")

    def spawn(self, node, binary, args):
        out = open(os.path.join(self.work, f"{node}.out"), "ab")
        p = subprocess.Popen([binary, "--env-file", os.path.join(self.dir, f"{node}.env"), *args],
                             cwd=self.work, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        out.close()
        self.processes[node] = p
        return p

    def start_master(self):
        master = self.spawn("master", self.master_bin, ["--serve"])

        def healthy():
            if master.poll() is not None:
                raise RuntimeError(f"master exited with status {master.returncode}, see "
                                   f"{os.path.join(self.work, 'master.out')}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5,
                                            context=self.ssl_context()) as r:
                    return r.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        cdp.wait_until(healthy, START_S, "the master's /health")

    def start_slave(self, node):
        self.spawn(node, self.slave_bin, [])

    def kill(self, node):
        p = self.processes.pop(node)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)

    @property
    def https(self):
        with open(os.path.join(self.dir, "master.env")) as f:
            return "\nTLS_CERT=" in "\n" + f.read()

    @property
    def url(self):
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.http_port}"

    def ssl_context(self):
        if not self.https:
            return None
        return ssl.create_default_context(cafile=os.path.join(self.dir, "tls", "ca.crt"))

    def spki_hash(self):
        """What --ignore-certificate-errors-spki-list takes for the master's certificate."""
        cert = os.path.join(self.dir, "tls", "master.crt")
        pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                             check=True, capture_output=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                             check=True, capture_output=True).stdout
        digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                                check=True, capture_output=True).stdout
        return subprocess.run(["base64"], input=digest, check=True,
                              capture_output=True).stdout.decode().strip()

    def query(self, node, sql):
        out = subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S",
                              os.path.join(self.dir, node, "mysqld.sock"), "-N", "-B", "-e", sql],
                             capture_output=True, timeout=60)
        return out.stdout.decode() if out.returncode == 0 else None

    def stop_programs(self):
        for node, p in list(self.processes.items()):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    log(f"{node} (pid {p.pid}) did not stop within 60 s; killing it")
                    p.kill()
                    p.wait(timeout=30)
        self.processes.clear()

    def destroy(self):
        """Stops the servers cluster.sh started (by their PIDs) and deletes their files."""
        if self.started:
            self.script("destroy")


# -- What the page shows ------------------------------------------------------

def row_state(node):
    return ("(() => { const r = document.querySelector('#nodes tr[data-node=\"%s\"]');"
            " return r ? r.dataset.state : ''; })()" % node)


def wait_state(page, node, state, why):
    page.wait_for(f"{row_state(node)} === '{state}'", STATE_S, f"{node} to show {state} ({why})")


def outcome(node):
    return ("(() => { const e = document.querySelector("
            "'#sql-results [data-slave=\"%s\"]'); return e ? e.dataset.outcome : ''; })()" % node)


def run_sql(page, sql):
    """Types `sql` in the SQL box, runs it, and waits for its results."""
    page.evaluate("document.getElementById('sql-results').replaceChildren(), "
                  "document.getElementById('sql-input').value = ''")
    page.click("#sql-input")
    page.type_text(sql)
    page.click("#sql-run")
    page.wait_for("document.querySelectorAll('#sql-results .result').length > 0 &&"
                  " !document.getElementById('sql-run').disabled", STATE_S, f"results of {sql}")


def scenario(cluster, page, shots):
    def shot(name):
        path = page.screenshot(os.path.join(shots, name))
        log(f"screenshot {path}")

    # 1. The token, asked once, kept in this tab's sessionStorage only.
    page.navigate(cluster.url + "/")
    page.wait_for("document.getElementById('token-dialog').open", STATE_S, "the token dialog")
    page.click("#token-input")
    page.type_text(cluster.token)
    page.click("#token-submit")
    wait_state(page, "slave1", "green", "connected and caught up")
    wait_state(page, "slave2", "green", "connected and caught up")
    assert page.evaluate("sessionStorage.getItem('sqlrepl.token')") == cluster.token
    assert page.evaluate("localStorage.length") == 0, "the token must not outlive the tab"
    assert page.evaluate("document.cookie") == ""
    shot("1-both-green.png")
    log("both slaves green")

    # 2. A write from the SQL box, replicated to both; markup stays text.
    name = '<img src=x onerror="window.__injected=1">Ada'
    run_sql(page, f"INSERT INTO students (name, age) VALUES ('{name}', 36)")
    for node in ("slave1", "slave2"):
        page.wait_for(f"{outcome(node)} === 'applied'", STATE_S, f"{node}'s outcome 'applied'")
    run_sql(page, "SELECT name, age FROM students WHERE age = 36")
    page.wait_for("[...document.querySelectorAll('#sql-results td')].map(td => td.textContent)"
                  ".includes(" + js_string(name) + ")", STATE_S, "the row in the results table")
    page.wait_for("[...document.querySelectorAll('#events td.statements')].some("
                  "td => td.textContent.includes(" + js_string(name) + "))", STATE_S,
                  "the INSERT among the recent events")
    assert page.evaluate("document.querySelectorAll('main img').length") == 0, "markup was parsed"
    assert page.evaluate("window.__injected === undefined"), "a value ran as script"
    for node in ("slave1", "slave2"):
        rows = cdp.wait_until(lambda: cluster.query(node, "SELECT name FROM school.students"),
                              STATE_S, f"the row in {node}'s database")
        assert name in rows, f"{node} has {rows!r}"
    run_sql(page, "INSERT INTO students (name, age) VALUES ('Grace', 45)")
    for node in ("slave1", "slave2"):
        page.wait_for(f"{outcome(node)} === 'applied'", STATE_S, f"{node}'s outcome 'applied'")
    shot("2-insert-replicated.png")
    log("INSERT applied by both slaves, as the page shows")

    # 3. slave1 killed: red; a write meanwhile leaves it behind.
    cluster.kill("slave1")
    wait_state(page, "slave1", "red", "killed")
    assert page.evaluate(row_state("slave2")) == "green"
    run_sql(page, "INSERT INTO students (name, age) VALUES ('Edsger', 72)")
    page.wait_for(f"{outcome('slave2')} === 'applied'", STATE_S, "slave2's outcome 'applied'")
    page.wait_for("(() => { const r = document.querySelector('#nodes tr[data-node=\"slave1\"]');"
                  " return r && r.cells[2].textContent === '1'; })()", STATE_S,
                  "slave1 one event behind")
    shot("3-slave1-killed-red.png")
    log("slave1 red after SIGKILL")

    # 4. slave1 back: green, caught up.
    cluster.start_slave("slave1")
    wait_state(page, "slave1", "green", "restarted and caught up")
    page.wait_for("(() => { const r = document.querySelector('#nodes tr[data-node=\"slave1\"]');"
                  " return r && r.cells[2].textContent === '0'; })()", STATE_S,
                  "slave1 no event behind")
    cdp.wait_until(lambda: "Edsger" in (cluster.query("slave1", "SELECT name FROM school.students")
                                        or ""), STATE_S, "the missed row in slave1's database")
    page.wait_for("[...document.querySelectorAll('#events tbody tr')].some(tr =>"
                  " tr.textContent.includes('Edsger') &&"
                  " tr.querySelector('[data-slave=\"slave1\"][data-outcome=\"applied\"]'))",
                  STATE_S, "slave1's catch-up among the recent events' outcomes")
    shot("4-slave1-back-green.png")
    log("slave1 green again after restart")

    # 5. A phone.
    page.set_viewport(390, 844, mobile=True, scale=2)
    page.wait_for("innerWidth === 390", STATE_S, "a phone-sized viewport")
    page.wait_for("document.documentElement.scrollWidth <= innerWidth", STATE_S,
                  "the page to fit a phone's width")
    shot("5-phone.png")

    errors = page.js_errors()
    assert not errors, f"the page logged errors: {errors}"


def js_string(text):
    """`text` as a JavaScript string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--master", required=True, help="the master binary")
    parser.add_argument("--slave", required=True, help="the slave binary")
    parser.add_argument("--artifacts", required=True, help="where screenshots and logs go")
    args = parser.parse_args()

    shutil.rmtree(args.artifacts, ignore_errors=True)
    os.makedirs(args.artifacts)
    work = tempfile.mkdtemp(prefix="sqlrepl-browser-")
    cluster = Cluster(work, os.path.abspath(args.master), os.path.abspath(args.slave))
    browser = page = None
    ok = False
    try:
        cluster.start_servers()
        cluster.start_master()
        cluster.start_slave("slave1")
        cluster.start_slave("slave2")
        extra = []
        if cluster.https:
            extra.append(f"--ignore-certificate-errors-spki-list={cluster.spki_hash()}")
        profile = os.path.join(work, "chromium")
        os.makedirs(profile)
        browser = cdp.Browser(profile, os.path.join(args.artifacts, "chromium.log"),
                              extra_args=extra)
        page = browser.new_page()
        page.set_viewport(1280, 900)
        scenario(cluster, page, args.artifacts)
        ok = True
        log("passed")
    except (AssertionError, cdp.CdpError, RuntimeError, OSError, subprocess.SubprocessError) as e:
        log(f"FAILED: {e}")
        if page is not None:
            try:
                log(f"screenshot {page.screenshot(os.path.join(args.artifacts, 'failure.png'))}")
            except cdp.CdpError:
                pass
    finally:
        if browser is not None:
            browser.close()
        cluster.stop_programs()
        if not ok:  # what the programs printed and logged, for the failure's reader
            for name in os.listdir(work):
                if name.endswith(".out"):
                    shutil.copy(os.path.join(work, name), args.artifacts)
            for node in ("master", "slave1", "slave2"):
                node_log = os.path.join(cluster.dir, node, f"{node}.log")
                if os.path.exists(node_log):
                    shutil.copy(node_log, args.artifacts)
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
