#!/usr/bin/env python3
"""Drives headless Chromium through the DevTools protocol over a pipe (--remote-debugging-pipe: no
port, no websocket) for the web console's lab test (tests/lab/test-web.sh). Chromium runs inside a
lab node (`lab exec NODE chromium ...`), where the node's vmha-web is reachable.

Usage: webdrive.py  (everything from the environment, see test-web.sh)"""
import base64
import fcntl
import json
import os
import subprocess
import sys
import threading
import time

LAB = os.environ.get("LAB", "")
NODE = os.environ.get("WEB_NODE", "")
URL = os.environ.get("WEB_URL", "")
ADMIN_TOKEN = os.environ.get("WEB_ADMIN_TOKEN", "")
READER_TOKEN = os.environ.get("WEB_READER_TOKEN", "")
SHOTS = os.environ.get("WEB_SCREENSHOTS", "")
VMS = os.environ.get("RL_VMS", "").split()
CUT = os.environ.get("WEB_CUT_NODE", "n1")
DRAIN = os.environ.get("WEB_DRAIN_NODE", "n2")
FAILBACK_VMS = os.environ.get("WEB_FAILBACK_VMS", "").split()  # the VMs that prefer DRAIN
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                  "--remote-debugging-pipe", "--window-size=1400,1000"]


def log(msg):
    print("[%s] web: %s" % (time.strftime("%H:%M:%S", time.gmtime()), msg), flush=True)


def fail(msg):
    log("FAIL: " + msg)
    sys.exit(1)


class Browser:
    """Chromium with a fresh profile; prefix runs it elsewhere (["lab", "exec", "n3"])."""

    def __init__(self, profile, prefix=()):
        self.profile = profile
        to_child_r, self.to_child_w = os.pipe()
        self.from_child_r, from_child_w = os.pipe()

        def fds():
            # Chromium reads fd 3 and writes fd 4. Moved out of the way first: the pipe may
            # already be 3 or 4, and dup2 of an fd onto itself would leave it close-on-exec.
            a = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.close(a)
            os.close(b)

        args = [*prefix, "chromium", *CHROMIUM_FLAGS, "--user-data-dir=" + profile, "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(profile + ".log", "w"))
        os.close(to_child_r)
        os.close(from_child_w)
        self.next_id = 0
        self.replies = {}
        self.cond = threading.Condition()
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        buf = b""
        while True:
            chunk = os.read(self.from_child_r, 1 << 16)
            if not chunk:
                with self.cond:
                    self.replies[-1] = None
                    self.cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                m = json.loads(msg)
                if "id" in m:
                    with self.cond:
                        self.replies[m["id"]] = m
                        self.cond.notify_all()

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        i = self.next_id
        m = {"id": i, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.to_child_w, json.dumps(m).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self.cond:
            while i not in self.replies:
                if -1 in self.replies:
                    fail("chromium exited (see %s.log)" % self.profile)
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("no answer from chromium to " + method)
                self.cond.wait(left)
            r = self.replies.pop(i)
        if "error" in r:
            fail("%s: %s" % (method, r["error"]))
        return r["result"]

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except SystemExit:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Page:
    def __init__(self, browser):
        self.b = browser
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.s = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"]
        browser.call("Page.enable", {}, self.s)
        browser.call("Runtime.enable", {}, self.s)

    def navigate(self, url):
        self.b.call("Page.navigate", {"url": url}, self.s)

    def js(self, expr):
        r = self.b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                             "awaitPromise": True}, self.s)
        if "exceptionDetails" in r:
            return None
        return r["result"].get("value")

    def wait(self, seconds, what, expr, interval=0.2):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            v = self.js(expr)
            if v:
                return v
            time.sleep(interval)
        fail("timed out after %d s waiting for %s (last: %r)" % (seconds, what, self.js(expr)))

    def screenshot(self, name):
        if not SHOTS:
            return
        r = self.b.call("Page.captureScreenshot", {"format": "png"}, self.s)
        path = os.path.join(SHOTS, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        log("screenshot " + path)


ROWS = """(() => ({
  nodes: Object.fromEntries([...document.querySelectorAll('#nodes tbody tr')].map(
    r => [r.dataset.node, r.querySelector('.state').textContent])),
  vms: Object.fromEntries([...document.querySelectorAll('#vms tbody tr')].map(
    r => [r.dataset.vm, [r.querySelector('.state').textContent, r.querySelector('.node').textContent]])),
  buttons: [...document.querySelectorAll('button')].filter(
    b => b.offsetParent !== null && b.id !== 'logout').length,
  marker: window.__notReloaded === 1,
}))()"""


# The progress of a drain or failback the page started (web/static/app.js, renderProgress).
PROGRESS = """(() => ({shown: !document.querySelector('#progress').hidden,
  done: document.querySelector('#progress').dataset.done === 'true',
  title: document.querySelector('#progress-title').textContent,
  items: Object.fromEntries([...document.querySelectorAll('#progress-list li')].map(
    l => [l.className, l.textContent]))}))()"""


def rows(page):
    return page.js(ROWS) or {"nodes": {}, "vms": {}, "buttons": 0, "marker": False}


def login(page, token, role):
    page.wait(30, "the login form", "!document.querySelector('#login').hidden")
    page.js("document.querySelector('#login [name=token]').value = %s;"
            "document.querySelector('#login').requestSubmit(); true" % json.dumps(token))
    page.wait(15, "the console as " + role,
              "!document.querySelector('#console').hidden && document.body.dataset.role === %s"
              % json.dumps(role))


def all_running_except(r, node):
    return all(r["vms"].get(v, ["", ""])[0] == "running" and r["vms"][v][1] not in ("-", node)
               and "," not in r["vms"][v][1] for v in VMS)


def main():
    b = Browser(os.environ["WEB_PROFILE"], [LAB, "exec", NODE])
    try:
        page = Page(b)
        page.navigate(URL)
        login(page, ADMIN_TOKEN, "admin")
        page.js("window.__notReloaded = 1; window.confirm = () => true; true")

        log("--- a. the page lists the nodes and the VMs")
        page.wait(20, "three nodes online and six VMs running",
                  "(r => ['n1','n2','n3'].every(n => r.nodes[n] === 'online') && %s.every("
                  "v => r.vms[v] && r.vms[v][0] === 'running'))(%s)" % (json.dumps(VMS), ROWS))
        r = rows(page)
        log("nodes %s; vms %s; %d buttons" % (r["nodes"], r["vms"], r["buttons"]))
        if r["buttons"] == 0:
            fail("an admin login sees no buttons")
        status = page.js("fetch('/api/nodes/n3/drain', {method: 'POST', headers: "
                         "{'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status)")
        if status != 403:
            fail("a POST without the CSRF token got %r, expected 403" % status)
        page.screenshot("web-healthy.png")

        log("--- b. power cut of " + CUT)
        t0 = time.monotonic()
        subprocess.run([LAB, "kill", CUT], check=True, stdout=subprocess.DEVNULL)
        page.wait(30, CUT + " shown not online",
                  "(r => r.nodes[%s] !== 'online')(%s)" % (json.dumps(CUT), ROWS))
        t1 = time.monotonic()
        log("%s shown as %s %.1f s after the cut" % (CUT, rows(page)["nodes"].get(CUT),
                                                    t1 - t0))
        page.screenshot("web-recovery.png")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            r = rows(page)
            if all_running_except(r, CUT):
                break
            time.sleep(0.2)
        else:
            fail("the VMs were not shown running on the survivors: %s" % rows(page)["vms"])
        r = rows(page)
        if not r["marker"]:
            fail("the page was reloaded")
        log("VMs shown back on survivors %.1f s after the cut, without a reload: %s"
            % (time.monotonic() - t0, r["vms"]))

        log("--- c. drain %s from the page" % DRAIN)
        page.js("[...document.querySelectorAll('#nodes tbody tr')].find(r => r.dataset.node === "
                "%s).querySelector('button').click(); true" % json.dumps(DRAIN))
        page.wait(20, "the drain plan", "!document.querySelector('#plan').hidden && "
                  "document.querySelectorAll('#plan tbody tr').length > 0")
        plan = page.js("[...document.querySelectorAll('#plan tbody tr')].map(r => r.textContent)")
        log("plan shown: %s" % plan)
        page.js("document.querySelector('#plan-go').click(); true")
        t0 = time.monotonic()
        page.wait(20, DRAIN + " shown draining or drained",
                  "(r => ['draining','drained'].includes(r.nodes[%s]))(%s)"
                  % (json.dumps(DRAIN), ROWS))
        page.screenshot("web-drain.png")
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            r = rows(page)
            if all_running_except(r, DRAIN) and r["nodes"].get(DRAIN) == "drained":
                break
            time.sleep(0.2)
        else:
            fail("the drain of %s did not finish on the page: %s" % (DRAIN, rows(page)))
        log("%s drained from the page in %.1f s: %s" % (DRAIN, time.monotonic() - t0,
                                                        rows(page)["vms"]))
        msg = page.js("document.querySelector('#message').textContent")
        log("message: %s" % msg)
        p = page.wait(20, "the drain's progress done", PROGRESS + ".done && " + PROGRESS)
        log("progress: %s %s" % (p["title"], p["items"]))
        if not p["title"].startswith("Drain of %s done: " % DRAIN) or set(p["items"]) != {
                "arrived"}:
            fail("the drain's progress: %r" % p)

        log("--- d. resume %s with failback from the page" % DRAIN)
        t0 = time.monotonic()
        page.js("[...document.querySelectorAll('#nodes tbody tr')].find(r => r.dataset.node === "
                "%s).querySelectorAll('button')[1].click(); true" % json.dumps(DRAIN))
        p = page.wait(20, "the failback's progress", "(p => p.title.startsWith('Failback') && "
                      "p)(%s)" % PROGRESS)
        log("progress: %s %s" % (p["title"], p["items"]))
        page.screenshot("web-failback.png")
        p = page.wait(120, "the failback done", PROGRESS + ".done && " + PROGRESS)
        want = "back on %s: %s" % (DRAIN, ", ".join(sorted(FAILBACK_VMS)))
        got = p["items"].get("arrived", "")
        back = sorted(got.split(": ", 1)[1].split(", ")) if ": " in got else []
        if p["title"] != "Failback to %s done: %d of %d VM(s) back" % (
                DRAIN, len(FAILBACK_VMS), len(FAILBACK_VMS)) or \
                "back on %s: %s" % (DRAIN, ", ".join(back)) != want:
            fail("the failback's progress: %r, wanted %s" % (p, want))
        r = rows(page)
        if any(r["vms"].get(v, ["", ""])[1] != DRAIN for v in FAILBACK_VMS):
            fail("the page shows %s not back on %s: %s" % (FAILBACK_VMS, DRAIN, r["vms"]))
        log("failback to %s shown done %.1f s after the click: %s" % (DRAIN,
                                                                     time.monotonic() - t0,
                                                                     p["title"]))

        log("--- e. a read-only login")
        page.js("document.querySelector('#logout').click(); true")
        login(page, READER_TOKEN, "reader")
        page.wait(20, "the VMs listed for the reader",
                  "(r => Object.keys(r.vms).length === %d)(%s)" % (len(VMS), ROWS))
        r = rows(page)
        if r["buttons"] != 0:
            fail("a read-only login sees %d buttons" % r["buttons"])
        for what, headers in (("with the session's CSRF token",
                               "{'Content-Type': 'application/json', 'X-CSRF-Token': "
                               "session.csrf_token}"),
                              ("without a CSRF token", "{'Content-Type': 'application/json'}")):
            status = page.js("fetch('/api/nodes/%s/resume', {method: 'POST', headers: %s, "
                             "body: '{}'}).then(r => r.status)" % (DRAIN, headers))
            if status != 403:
                fail("a read-only login's forged POST %s got %r, expected 403" % (what, status))
            log("forged POST %s: 403" % what)
    finally:
        b.close()
    log("ok")


if __name__ == "__main__":
    main()
