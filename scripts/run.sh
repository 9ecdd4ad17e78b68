#!/usr/bin/env bash
# Serve Guanxi on one machine: `make run` calls this after installing the requirements.
#
# Migrates, collects static files, creates the first administrator and (in an empty database)
# demo data, then runs the web server (gunicorn) and the job consumer (huey) side by side.
# Ctrl-C or SIGTERM stops both; if either one exits, the other is stopped too.
#
# Environment: PORT (default 8000), WEB_CONCURRENCY (gunicorn workers, default 2),
# DEMO_DATA=false to skip the demo data, and everything in .env.example.
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${VENV:-.venv}/bin/python"
GUNICORN="${VENV:-.venv}/bin/gunicorn"
PORT="${PORT:-8000}"
URL="http://127.0.0.1:${PORT}/"

# Plain HTTP on localhost: no HTTPS redirect, no Secure-only cookies, no HSTS.
export HTTPS=false
# Links made for customers (self-service, portal, surveys) point at this server, on its port,
# unless PUBLIC_BASE_URL is set in the environment or in .env.
if [[ -z "${PUBLIC_BASE_URL:-}" ]] && ! grep -qs '^PUBLIC_BASE_URL=' .env; then
    export PUBLIC_BASE_URL="http://127.0.0.1:${PORT}"
fi

"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0
demo_flag=()
case "${DEMO_DATA:-true}" in
    0 | false | False | no | off) demo_flag=(--no-demo) ;;
esac
"$PY" manage.py bootstrap --url "$URL" --customers 2000 --orders 10000 "${demo_flag[@]}"

pids=()
stop() {
    trap - INT TERM
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

"$GUNICORN" config.wsgi:application \
    --bind "127.0.0.1:${PORT}" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --access-logfile - \
    --graceful-timeout 10 &
pids+=($!)
"$PY" manage.py run_huey &
pids+=($!)

echo "Serving ${URL} with the job consumer. Press Ctrl-C to stop."
status=0
wait -n "${pids[@]}" || status=$?
echo "Stopping Guanxi." >&2
stop
exit "$status"
