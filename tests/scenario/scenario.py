"""Shared by run-scenario and regen-expected: the scenario layout and the comparison format.

A scenario is a directory with:
  cib.xml    the input CIB (the whole truth, read as Pacemaker reads it)
  args       optional: extra `vmctl simulate` arguments (--fail NODE, --drain NODE, --now SECS)
  expected   the expected plan, one line each: "fence N", "stop VM N", "start VM N",
             "migrate VM FROM TO METHOD", then "placement VM NODE|-". A first line
             "# source: crm_simulate ..." means regen-expected wrote it from Pacemaker's answer
             (actions compared as a set, Pacemaker does not order its summary like vmha);
             "# hand-written: WHY" means vmha decides differently or Pacemaker has no answer
             (actions compared in order).
  reasons    optional: "VM: reason" lines that must match vmha's reasons exactly.
"""
import os
import shlex

DEFAULT_NOW = 1700000000  # 2023-11-14 22:13:20 UTC; every scenario runs at a fixed time


def read_args(d):
    path = os.path.join(d, "args")
    args = shlex.split(open(path).read(), comments=True) if os.path.exists(path) else []
    if "--now" not in args:
        args += ["--now", str(DEFAULT_NOW)]
    return args


def now_of(args):
    return int(args[args.index("--now") + 1])


def read_expected(d):
    lines = [l.rstrip("\n") for l in open(os.path.join(d, "expected"))]
    header = lines[0] if lines and lines[0].startswith("#") else ""
    body = [l for l in lines if l.strip() and not l.startswith("#")]
    return header, body
