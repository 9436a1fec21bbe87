"""Peak memory for the code the benchmarks run in a child process.

`resource.getrusage(...).ru_maxrss` is not it: Linux keeps a process's peak across fork and exec,
so a child started by a benchmark that had built a large input reports the benchmark's peak.
VmHWM is the child's own address space's high-water mark."""

# An expression, pasted into the child's code in place of `PEAK_MB`.
PEAK_MB = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]) / 1024"
