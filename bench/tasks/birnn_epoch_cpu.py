#!/usr/bin/python3
"""Runs `birnn train ...` and adds the process CPU time of each epoch to birnn's per-epoch lines, the
counterpart of the CPU seconds the bench/tasks/*_pytorch.py scripts print (steadier than wall time on a
shared machine).

    /usr/bin/python3 bench/tasks/birnn_epoch_cpu.py build/birnn train spam --threads 1 --out /tmp/spam-run

An epoch's CPU time is utime + stime of the birnn process (all its threads, from /proc/PID/stat) between
the line that ends the previous epoch (for the first: the "task ..." line printed once the data is read)
and the "epoch k/K loss ..." line that ends this one; like birnn's own epoch seconds it includes the dev
evaluation and the checkpoint saves. Wall seconds are measured between the same lines. At the end: the
medians of both, and the load average.
"""
import os
import re
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # after "(comm)": state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / TICK


def main(argv):
    if not argv:
        sys.exit(__doc__)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, bufsize=1)
    mark = None  # (wall, cpu) at the end of the previous epoch
    walls, cpus = [], []
    for line in p.stdout:
        now, cpu = time.time(), cpu_seconds(p.pid)
        line = line.rstrip("\n")
        if line.startswith("task "):
            mark = (now, cpu)
        elif mark and re.match(r"epoch \d+/\d+ loss ", line):
            walls.append(now - mark[0])
            cpus.append(cpu - mark[1])
            line += f"  [epoch {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU]"
            mark = (now, cpu)
        print(line, flush=True)
    rc = p.wait()
    if cpus:
        med = lambda v: sorted(v)[len(v) // 2]
        print(f"seconds per epoch (median): {med(walls):.2f} wall, {med(cpus):.2f} CPU over {len(cpus)} epochs; "
              f"load average {os.getloadavg()[0]:.2f}")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
