# Sourced by the benchmarks: what a process has used, read from /proc.
#   cpu_ms PID          CPU milliseconds (user + system) so far (0 once it is gone)
#   pg_cpu_ms DATABASE  the same, summed over the PostgreSQL backends serving DATABASE
#   rss_mb PID          resident memory in MB
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_cpu_ms() {
    local total=0 pid
    for pid in $(pgrep -f "postgres: .* $1 " || true); do total=$((total + $(cpu_ms "$pid"))); done
    echo "$total"
}
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
