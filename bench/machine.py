"""Machine facts every benchmark report starts with (stdlib only; imported by bench/*/ scripts)."""
import os
import platform
import subprocess


def first_line(cmd):
    """The first line a command prints on stdout or stderr ("?" when it prints nothing or is missing)."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError:
        return "?"
    out = ((r.stdout or "") + (r.stderr or "")).strip()
    return out.splitlines()[0] if out else "?"


def machine_info(versions=None):
    """Cores, CPU model, memory, kernel, Java and Python versions, plus {name: first_line(cmd)} of `versions`."""
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.0f GiB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    info = {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "memory": mem, "kernel": platform.release(),
            "java": first_line(["java", "-version"]), "python": platform.python_version()}
    for name, cmd in (versions or {}).items():
        info[name] = first_line(cmd)
    return info
