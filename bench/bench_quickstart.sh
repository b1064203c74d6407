#!/bin/sh
# Times the README's first command from a fresh clone to a page served on http://127.0.0.1:8000.
#   sh bench/bench_quickstart.sh            (clones the current checkout's HEAD into a temp dir)
# Prints the seconds to the first 200 from /healthz and to a login page, then stops the server.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
port=${PORT:-8765}
git clone -q "$src" "$dir/civicgrid"
cd "$dir/civicgrid"
start=$(date +%s.%N)
CIVICGRID_BIND="127.0.0.1:$port" ./dev demo > "$dir/demo.log" 2>&1 &
pid=$!
ok=""
for _ in $(seq 1 900); do
  if curl -fs -o /dev/null "http://127.0.0.1:$port/healthz"; then ok=1; break; fi
  sleep 0.2
done
end=$(date +%s.%N)
curl -fs -o /dev/null "http://127.0.0.1:$port/login/" && login=ok || login=failed
pkill -P $pid 2>/dev/null || true
pkill -f "$dir/civicgrid/.venv" 2>/dev/null || true
kill $pid 2>/dev/null || true
if [ -z "$ok" ]; then echo "not serving after 180 s; log: $dir/demo.log"; exit 1; fi
python3 -c "print(f'fresh clone -> serving: {float($end) - float($start):.1f} s (login page: $login)')"
grep -E "^(完成|Done)" "$dir/demo.log" || true
rm -rf "$dir"
