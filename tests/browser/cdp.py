"""A small driver for headless Chromium over the DevTools protocol (CDP).

One Chromium process of our own: a private --user-data-dir, a debugging port
chosen by Chromium (read back from DevToolsActivePort), one WebSocket to the
browser, and one page attached as a flat session (Target domain). Input goes
through the Input domain, as a person's would; reads go through
Runtime.evaluate. Every wait is a condition polled until a deadline.

Stopping: Browser.close, then SIGKILL to our process (by PID) and to the
process group it leads (started with a new session, so the group holds only
the Chromium we started and its helpers).
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import time

import websocket  # Debian python3-websocket


class CdpError(Exception):
    pass


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise CdpError("chromium not found: run scripts/install-deps.sh")


def wait_until(predicate, timeout, what, interval=0.1):
    """Returns predicate()'s first truthy value; raises CdpError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except CdpError as e:  # a page in the middle of loading, say
            last_error = e
        if time.monotonic() >= deadline:
            suffix = f" (last error: {last_error})" if last_error else ""
            raise CdpError(f"timed out after {timeout:.0f} s waiting for {what}{suffix}")
        time.sleep(interval)


class Browser:
    def __init__(self, profile_dir, log_path, width=1280, height=900, extra_args=()):
        self.profile_dir = profile_dir
        argv = [
            find_chromium(),
            "--headless=new",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={profile_dir}",
            f"--window-size={width},{height}",
            *extra_args,
            "about:blank",
        ]
        if os.geteuid() == 0:
            argv.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._ws = None
        self._next_id = 0
        self._events = []
        try:
            port_file = os.path.join(profile_dir, "DevToolsActivePort")

            def endpoint():
                if self.process.poll() is not None:
                    raise RuntimeError(f"chromium exited with status {self.process.returncode}, "
                                       f"see {log_path}")
                try:
                    with open(port_file) as f:
                        lines = f.read().split("\n")
                except FileNotFoundError:
                    return None
                return lines if len(lines) >= 2 and lines[1] else None

            port, path = wait_until(endpoint, 60, "chromium's DevToolsActivePort")[:2]
            # No Origin header: Chromium refuses WebSocket clients from other origins.
            self._ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}",
                                                   suppress_origin=True, timeout=30)
        except BaseException:
            self.close()
            raise

    # -- The protocol ------------------------------------------------------

    def send(self, method, params=None, session=None, timeout=30):
        """Sends one command and returns its result; events read meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError(f"{method}: no answer within {timeout} s")
            self._ws.settimeout(left)
            try:
                reply = json.loads(self._ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def drain_events(self):
        """The events received so far (and any waiting on the socket), oldest first."""
        self._ws.settimeout(0.05)
        try:
            while True:
                reply = json.loads(self._ws.recv())
                if "method" in reply:
                    self._events.append(reply)
        except (websocket.WebSocketTimeoutException, BlockingIOError):
            pass
        events, self._events = self._events, []
        return events

    def new_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        return Page(self, session["sessionId"])

    # -- Stopping ------------------------------------------------------------

    def close(self):
        if self._ws is not None:
            try:
                self.send("Browser.close", timeout=10)
            except Exception:
                pass  # it may close the socket before answering
            try:
                self._ws.close()
            except Exception:
                pass
            self._ws = None
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        # Helpers (renderer, GPU, zygote) left behind, in the group of ours.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log.close()


class Page:
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session
        self.errors = []  # uncaught exceptions and console errors of the page
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method, params=None, timeout=30):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def _collect(self):
        for ev in self.browser.drain_events():
            if ev.get("sessionId") != self.session:
                continue
            if ev["method"] == "Runtime.exceptionThrown":
                details = ev["params"]["exceptionDetails"]
                self.errors.append(details.get("exception", {}).get("description")
                                   or details.get("text"))
            elif ev["method"] == "Runtime.consoleAPICalled" and ev["params"]["type"] == "error":
                self.errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                            for a in ev["params"]["args"]))
            elif ev["method"] == "Log.entryAdded" and ev["params"]["entry"]["level"] == "error":
                self.errors.append(ev["params"]["entry"]["text"])

    def js_errors(self):
        self._collect()
        return list(self.errors)

    def navigate(self, url, timeout=30):
        self.send("Page.navigate", {"url": url})
        wait_until(lambda: self.evaluate("document.readyState") == "complete", timeout,
                   f"{url} to load")

    def evaluate(self, expression):
        """The value of a JavaScript expression (awaited if a promise), as JSON allows."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                 "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def wait_for(self, expression, timeout, what):
        """Waits until `expression` is truthy in the page; returns its value."""
        return wait_until(lambda: self.evaluate(expression), timeout, what)

    # -- Input, as a person gives it -----------------------------------------

    def click(self, selector):
        box = self.evaluate(
            "(() => { const e = document.querySelector(%s); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
        if not box:
            raise CdpError(f"nothing matches {selector}")
        x, y = box
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent",
                      {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def type_text(self, text):
        """Types into the focused element."""
        self.send("Input.insertText", {"text": text})

    # -- Pictures --------------------------------------------------------------

    def set_viewport(self, width, height, mobile=False, scale=1):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": scale,
                   "mobile": mobile})

    def screenshot(self, path):
        """The whole page (not only the viewport) as a PNG file."""
        width, height = self.evaluate(
            "[Math.max(innerWidth, document.documentElement.scrollWidth),"
            " Math.max(innerHeight, document.documentElement.scrollHeight)]")
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path
