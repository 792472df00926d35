#!/usr/bin/env bash
# GET /metrics of a running `gramota serve`: a known set of requests, then a
# scrape that must count exactly those by route and status, histograms whose
# _count is the requests counted, every line in the Prometheus text format
# 0.0.4 with HELP and TYPE for each family, a series for every route name the
# code sets and every credential configuration published, the right
# Content-Type, and 405 for anything but GET.
set -uo pipefail
src=${GR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
gramota=${GRAMOTA:-$src/build/current/gramota}

# shellcheck source=../tap.sh
source "$src/tests/tap.sh"

tmp=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port and the server prints the one it bound.
"$gramota" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" >"$tmp/out" 2>"$tmp/err" &
server=$!
for _ in $(seq 150); do # 15 s: a sanitized build starts slowly on a busy machine
    grep -q 'listening on http://' "$tmp/out" && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/out")
apikey=$(awk 'f { print; exit } /API key/ { f = 1 }' "$tmp/out")
if [ -z "$url" ] || [ -z "$apikey" ]; then
    not_ok "gramota serve started and printed its address and API key"
    sed 's/^/#   /' "$tmp/out" "$tmp/err" | tail -n 20
    finish
fi
ok "gramota serve started on $url"

# call NAME WANT METHOD PATH [CURL ARGS...]: one request, answered WANT.
call() {
    local name=$1 want=$2 method=$3 path=$4 got
    shift 4
    got=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$method" "$@" "$url$path")
    if [ "$got" = "$want" ]; then
        ok "$name: $want"
    else
        not_ok "$name: $got, want $want: $(head -c 200 "$tmp/body")"
    fi
}

pid='{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","place_of_birth":{"locality":"Berlin"},"nationalities":["DE"],"date_of_expiry":"2031-01-01","issuing_authority":"DE","issuing_country":"DE"}'
json=(-H 'Content-Type: application/json')
call "GET /healthz" 200 GET /healthz
call "GET /healthz again" 200 GET /healthz
call "GET an unknown path" 404 GET /no/such/place
call "GET an unknown path under /oid4vci" 404 GET /oid4vci/nothing
call "GET the issuer metadata" 200 GET /.well-known/openid-credential-issuer
cp "$tmp/body" "$tmp/issuer.json"
call "POST an offer with the default organization's key" 201 POST /v1/credential-offers \
    "${json[@]}" -H "Authorization: Bearer $apikey" --data "{\"vct\":\"urn:eudi:pid:1\",\"subject\":$pid}"
call "POST an offer without a key" 401 POST /v1/credential-offers "${json[@]}" --data '{}'
call "GET /v1/credentials without a key" 401 GET /v1/credentials
call "POST /oid4vci/token with no grant" 400 POST /oid4vci/token
curl -s -D "$tmp/post.hdr" -o "$tmp/post.body" -X POST "$url/metrics" >/dev/null
if grep -q '^HTTP/1.1 405' "$tmp/post.hdr" && grep -qi '^Allow: GET' "$tmp/post.hdr" &&
    grep -q '"error":"invalid_request"' "$tmp/post.body"; then
    ok "POST /metrics: 405 invalid_request, Allow: GET"
else
    not_ok "POST /metrics: $(head -n 1 "$tmp/post.hdr") $(cat "$tmp/post.body")"
fi
made=10 # the requests above, each counted once

# A request is counted when MHD reports it complete, which may come just after
# the client has its answer: scrape until all of them are in (at most 5 s).
for _ in $(seq 50); do
    curl -s -D "$tmp/hdr" -o "$tmp/scrape" "$url/metrics"
    total=$(awk '/^gramota_http_requests_total\{/ && $0 !~ /route="metrics",status="200"/ { n += $2 }
        END { print n + 0 }' "$tmp/scrape")
    [ "$total" -ge "$made" ] && break
    sleep 0.1
done
sleep 0.2 # and the scrapes of that loop: the last one scraped must be in too
curl -s -D "$tmp/hdr" -o "$tmp/scrape" "$url/metrics"

if grep -q '^HTTP/1.1 200' "$tmp/hdr" &&
    grep -qix 'Content-Type: text/plain; version=0.0.4; charset=utf-8'$'\r' "$tmp/hdr"; then
    ok "GET /metrics: 200, Content-Type: text/plain; version=0.0.4; charset=utf-8"
else
    not_ok "GET /metrics: $(tr -d '\r' <"$tmp/hdr" | tr '\n' '|')"
fi

# expect SERIES VALUE: the scrape has the line "SERIES VALUE".
expect() {
    local got
    got=$(awk -v s="$1" 'index($0, s " ") == 1 { print substr($0, length(s) + 2) }' "$tmp/scrape")
    if [ "$got" = "$2" ]; then
        ok "$1 $2"
    else
        not_ok "$1: ${got:-absent}, want $2"
    fi
}
req() { echo "gramota_http_requests_total{route=\"$1\",status=\"$2\"}"; }
expect "$(req healthz 200)" 2
expect "$(req unmatched 404)" 2
expect "$(req wellknown_issuer 200)" 1
expect "$(req offers 201)" 1
expect "$(req offers 401)" 1
expect "$(req credentials 401)" 1
expect "$(req token 400)" 1
expect "$(req metrics 405)" 1
if [ "$total" = "$made" ]; then
    ok "no other request is counted ($total, the scrapes aside)"
else
    not_ok "$total requests counted, the scrapes aside; $made were made"
    grep '^gramota_http_requests_total' "$tmp/scrape" | sed 's/^/#   /'
fi
expect 'gramota_http_request_duration_seconds_count{route="healthz"}' 2
expect 'gramota_http_request_duration_seconds_bucket{route="healthz",le="+Inf"}' 2
expect 'gramota_http_request_duration_seconds_count{route="offers"}' 2
expect 'gramota_http_request_duration_seconds_count{route="readyz"}' 0
expect "gramota_build_info{version=\"$("$gramota" --version | awk '{ print $2 }')\"}" 1
expect 'gramota_rate_limited_total{limit="offer"}' 0
expect 'gramota_rate_limited_total{limit="token_code"}' 0
expect 'gramota_rate_limited_total{limit="token_client"}' 0
expect 'gramota_signer_duration_seconds_count' 0
for source in database redis; do
    if grep -qE "^gramota_store_errors_total\{source=\"$source\"\} [0-9]+$" "$tmp/scrape"; then
        ok "gramota_store_errors_total{source=\"$source\"} is a count"
    else
        not_ok "gramota_store_errors_total{source=\"$source\"} is absent or not a count"
    fi
done

# The whole scrape in the text format, and consistent with itself.
if python3 - "$tmp/scrape" >"$tmp/format" 2>&1 <<'EOF'; then
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("\n"), "the last line does not end"
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(rf"({name})(?:\{{({label}(?:,{label})*)\}})? (\S+)$")
helps, types, family, series = set(), {}, None, {}
for n, line in enumerate(text[:-1].split("\n"), 1):
    if line.startswith("# HELP "):
        f = line.split(" ")[2]
        assert f not in helps, f"line {n}: a second HELP for {f}"
        helps.add(f)
        continue
    if line.startswith("# TYPE "):
        _, _, f, t = line.split(" ")
        assert f in helps and f not in types, f"line {n}: TYPE of {f} without its HELP first"
        assert t in ("counter", "gauge", "histogram"), f"line {n}: type {t}"
        types[f], family = t, f
        continue
    m = sample.match(line)
    assert m, f"line {n} is not a sample: {line!r}"
    s, labels, value = m.groups()
    float(value)
    suffixes = ("_bucket", "_sum", "_count") if types[family] == "histogram" else ("",)
    assert any(s == family + x for x in suffixes), f"line {n}: {s} outside its family {family}"
    if types[family] == "counter":
        assert s.endswith("_total"), f"line {n}: a counter not named _total"
    key = (s, labels)
    assert key not in series, f"line {n}: {s}{{{labels}}} twice"
    series[key] = float(value)
assert helps == set(types), "a family without TYPE"
# Per route: buckets never fall, +Inf is _count, _count is the requests counted.
lat = "gramota_http_request_duration_seconds"
routes = {re.search(r'route="([^"]*)"', l).group(1) for (s, l) in series if s == lat + "_count"}
for r in routes:
    buckets = [v for (s, l), v in series.items() if s == lat + "_bucket" and f'route="{r}"' in l]
    assert buckets == sorted(buckets), f"{r}: buckets fall"
    count = series[(lat + "_count", f'route="{r}"')]
    assert buckets[-1] == count, f"{r}: +Inf {buckets[-1]} is not _count {count}"
    done = sum(v for (s, l), v in series.items()
               if s == "gramota_http_requests_total" and l.startswith(f'route="{r}",'))
    # this scrape is counted in neither yet; those before it, in both
    assert done == count, f"{r}: {done} requests, _count {count}"
print(f"{len(series)} series in {len(types)} families, {len(routes)} routes")
EOF
    ok "the scrape parses as the text format and agrees with itself: $(tail -n 1 "$tmp/format")"
else
    not_ok "the scrape is not valid: $(tail -n 1 "$tmp/format")"
fi

# Every route name the code gives r->route has its series (routes.c must list it).
missing=
for name in $(grep -h 'r->route = \|"wellknown_' "$src"/cmd/*.c | grep -o '"[a-z_]*"' | tr -d '"' | sort -u); do
    grep -q "^gramota_http_request_duration_seconds_count{route=\"$name\"} " "$tmp/scrape" ||
        missing="$missing $name"
done
[ -z "$missing" ] && ok "every route name in cmd/ has its series" ||
    not_ok "route names without a series:$missing"
# And every credential configuration the issuer publishes, at zero.
missing=
for id in $(python3 -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1]))["credential_configurations_supported"]))' "$tmp/issuer.json"); do
    grep -q "^gramota_credentials_issued_total{configuration=\"$id\"} 0$" "$tmp/scrape" ||
        missing="$missing $id"
done
[ -z "$missing" ] && grep -q '^gramota_credentials_issued_total{' "$tmp/scrape" &&
    ok "every published credential configuration is counted, at zero" ||
    not_ok "configurations without a series:$missing"
grep -qE '^gramota_http_requests_in_flight [1-9][0-9]*$' "$tmp/scrape" &&
    ok "the scrape itself is in flight" || not_ok "gramota_http_requests_in_flight: $(grep in_flight "$tmp/scrape")"

kill -TERM "$server"
wait "$server"
rc=$?
server=
[ "$rc" = 0 ] && ok "SIGTERM stops the server with status 0" || not_ok "SIGTERM: status $rc"
no_sanitizer_report "server" "$tmp/err"
finish
