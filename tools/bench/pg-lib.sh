# Shared by the PostgreSQL benchmarks (sourced): the CPU seconds of a throwaway cluster's server.
# server_cpu PGPID: the postmaster's user + system time with its exited children's, plus its live
# children's (the backends of open connections), in seconds.
server_cpu() {
  python3 - "$1" "$(getconf CLK_TCK)" <<'PY'
import os, sys
root, hz, total = sys.argv[1], int(sys.argv[2]), 0
for pid in filter(str.isdigit, os.listdir('/proc')):
    try: f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    except OSError: continue
    if pid == root: total += sum(map(int, f[11:15]))     # utime stime cutime cstime
    elif f[1] == root: total += int(f[11]) + int(f[12])  # a live child: utime stime
print(total / hz)
PY
}
