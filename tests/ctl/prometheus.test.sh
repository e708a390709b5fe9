#!/usr/bin/env bash
# dist/prometheus/ferry-rules.yml and dist/grafana/ferry.json against the
# /metrics of a real ferryd:
#  - promtool checks the rules and runs their unit tests
#    (ferry-rules.test.yml), and those tests fail on a copy of the rules
#    with one alert broken;
#  - every metric name the rules, their tests and the dashboard's queries
#    use is one ferryd serves (a histogram's or summary's with _bucket,
#    _sum or _count).  The families only a clustered head (ferry_cluster_*),
#    a ceph export (ferry_backend_*) or a krb5 export (ferry_gss_*) serves
#    are looked up in the code that writes them, src/ctl/*.c, instead: this
#    ferryd has none of those;
#  - every recorded series the rules use is one they record;
#  - every dashboard query is PromQL promtool parses, its Grafana variables
#    ($__rate_interval, $job, $instance, ...) replaced by values first;
#  - the name check fails, naming the metric, on a copy of the dashboard
#    with one metric renamed, and on a copy of the rules with another.
# Needs FERRYD, FERRY_BENCH and FERRYCTL (set by ctest, see
# tests/CMakeLists.txt) and promtool (Debian package prometheus).
set -euo pipefail

source "$(dirname "$0")/../lib/ferryd_test.sh"
: "${FERRYCTL:?FERRYCTL must point at the ferryctl binary}"
top=$(cd "$(dirname "$0")/../.." && pwd)
rules=$top/dist/prometheus/ferry-rules.yml
rules_test=$top/dist/prometheus/ferry-rules.test.yml
dash=$top/dist/grafana/ferry.json
promtool=${PROMTOOL:-promtool}
command -v "$promtool" >/dev/null ||
	{ echo "FAIL: no promtool (Debian package prometheus: scripts/deps.sh test)" >&2; exit 1; }
ferry_test_init prometheus

# --- the rules and their unit tests ----------------------------------------------
"$promtool" check rules "$rules" || fail "promtool check rules $rules"
"$promtool" test rules "$rules_test" || fail "promtool test rules $rules_test"
# The unit tests can fail: FerryUnhealthy made to fire on nothing.
mkdir "$dir/broken"
sed 's/expr: ferry_healthy == 0$/expr: ferry_healthy == 2/' "$rules" >"$dir/broken/ferry-rules.yml"
cp "$rules_test" "$dir/broken/"
! cmp -s "$rules" "$dir/broken/ferry-rules.yml" || fail "could not break FerryUnhealthy in a copy"
if out=$("$promtool" test rules "$dir/broken/ferry-rules.test.yml" 2>&1); then
	fail "the unit tests pass with FerryUnhealthy broken"
fi
grep -q 'alertname: FerryUnhealthy' <<<"$out" || fail "the broken copy failed elsewhere: $out"

# --- what ferryd serves ----------------------------------------------------------------
ferryd_start --export "$dir/export:/export"
"$FERRYCTL" --state-dir "$dir/state" metrics >"$dir/metrics.txt" || fail "ferryctl metrics failed"
grep -q '^# TYPE ferry_nfs_op_duration_seconds histogram$' "$dir/metrics.txt" ||
	fail "/metrics lacks the NFSv4 latency histogram"

# check_names METRICS RULES RULES_TEST DASHBOARD: exit 1 naming every
# metric used and not served.
check_names() {
	python3 - "$top/src/ctl" "$@" <<'PY'
import glob, json, re, sys

src_dir, metrics, rules, rules_test, dash = sys.argv[1:6]
# Families this test's ferryd cannot serve (no RADOS, no CephFS, no KDC).
ELSEWHERE = ("ferry_cluster_", "ferry_backend_", "ferry_gss_")

served = set()
for line in open(metrics):
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        name, kind = m.groups()
        served.add(name)
        if kind in ("histogram", "summary"):
            served.update(name + s for s in ("_bucket", "_sum", "_count"))
    elif line and not line.startswith("#"):
        served.add(re.split(r"[{ ]", line, 1)[0])
in_source = set()
for path in glob.glob(src_dir + "/*.c"):
    for name in re.findall(r'(?:"|# HELP )(ferry_[a-z0-9_]+)', open(path).read()):
        if name.startswith(ELSEWHERE):
            in_source.add(name)

# A metric name: ferry_* or process_*, not inside a recorded name
# (level:metric:operation) and not a wildcard (ferry_cluster_*).
NAME = re.compile(r"(?<![\w:])((?:ferry|process)_[a-z0-9_]+)(?![\w:*])")

def dash_exprs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "definition") and isinstance(v, str):
                out.append(v)
            else:
                dash_exprs(v, out)
    elif isinstance(node, list):
        for v in node:
            dash_exprs(v, out)
    return out

used = {}  # name -> where
for path in (rules, rules_test):
    for name in NAME.findall(open(path).read()):
        used.setdefault(name, path)
exprs = dash_exprs(json.load(open(dash)), [])
if not exprs:
    sys.exit("FAIL: no queries in " + dash)
for e in exprs:
    for name in NAME.findall(e):
        used.setdefault(name, dash)

bad = 0
for name, where in sorted(used.items()):
    if name in served:
        continue
    if name.startswith(ELSEWHERE) and name in in_source:
        continue
    print(f"FAIL: {where} uses {name}, which ferryd does not serve", file=sys.stderr)
    bad = 1

# Recorded series used by the rules and their tests are recorded there.
text = open(rules).read()
recorded = set(re.findall(r"^\s*- record: (\S+)", text, re.M))
for path in (rules, rules_test):
    for name in set(re.findall(r"(?<![\w:])([a-z_]+:[a-z0-9_]+:[a-z0-9_]+)", open(path).read())):
        if name not in recorded:
            print(f"FAIL: {path} uses {name}, which no rule records", file=sys.stderr)
            bad = 1
n_else = sum(1 for n in used if n not in served)
print(f"{len(used)} metric names: {len(used) - n_else} served by ferryd, "
      f"{n_else} of clustered heads, ceph or krb5 exports found in src/ctl; "
      f"{len(recorded)} recorded series")
sys.exit(bad)
PY
}
check_names "$dir/metrics.txt" "$rules" "$rules_test" "$dash" ||
	fail "the rules or the dashboard use metrics ferryd does not serve"

# --- the dashboard's queries parse --------------------------------------------------
cat >"$dir/dashboard_rules.py" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
VARS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h",
        "__range_s": "3600", "__interval_ms": "60000", "job": "ferry", "instance": ".*"}
def sub(e):
    e = re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", lambda m: VARS.get(m.group(1) or m.group(2), m.group(0)), e)
    if "$" in e:
        sys.exit("FAIL: a variable the test does not know in " + e)
    return e
rules = []
def walk(p):
    for t in p.get("targets", []):
        rules.append({"record": f"dashboard:panel_{p['id']}:{t['refId']}", "expr": sub(t["expr"])})
        print(f"{rules[-1]['record']}\t{p['title']}", file=sys.stderr)
    for q in p.get("panels", []):
        walk(q)
for p in dash["panels"]:
    walk(p)
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, sys.stdout, indent=1)
PY
python3 "$dir/dashboard_rules.py" "$dash" >"$dir/dashboard-rules.json" 2>"$dir/dashboard-panels.txt" ||
	fail "cannot read the dashboard's queries: $(cat "$dir/dashboard-panels.txt")"
n=$(grep -c $'\t' "$dir/dashboard-panels.txt") || true
[[ $n -ge 60 ]] || fail "only $n queries in the dashboard"
out=$("$promtool" check rules "$dir/dashboard-rules.json" 2>&1) ||
	fail "a dashboard query does not parse: $out
the rules' panels:
$(cat "$dir/dashboard-panels.txt")"
grep -q "SUCCESS: $n rules found" <<<"$out" || fail "promtool did not check the $n queries: $out"
echo "dashboard: $n queries parse"
# ... and one that does not parse fails.
sed '0,/histogram_quantile(0.99, /s//histogram_quantile(0.99 /' "$dash" >"$dir/unparsable.json"
python3 "$dir/dashboard_rules.py" "$dir/unparsable.json" >"$dir/unparsable-rules.json" 2>/dev/null ||
	fail "cannot read the queries of the dashboard's copy"
if out=$("$promtool" check rules "$dir/unparsable-rules.json" 2>&1); then
	fail "promtool parses histogram_quantile(0.99 sum ...): $out"
fi
grep -q 'could not parse expression' <<<"$out" || fail "the unparsable copy failed otherwise: $out"

# --- a renamed metric fails the check ------------------------------------------------
# renamed WHAT FILE OLD NEW NAMED: a copy of FILE (the rules or the
# dashboard) with OLD renamed NEW fails the check, which names NAMED.
renamed() {
	local what=$1 file=$2 old=$3 new=$4 named=$5
	local copy=$dir/renamed.${file##*.} r=$rules d=$dash
	sed "s/$old/$new/g" "$file" >"$copy"
	! cmp -s "$file" "$copy" || fail "the $what do not use $old"
	if [ "$file" = "$rules" ]; then r=$copy; else d=$copy; fi
	if out=$(check_names "$dir/metrics.txt" "$r" "$rules_test" "$d" 2>&1); then
		fail "the check passes $what using $new: $out"
	fi
	grep -q "uses $named, which ferryd does not serve" <<<"$out" ||
		fail "the check did not name the renamed metric: $out"
	echo "renamed in the $what: $(grep -m1 FAIL <<<"$out")"
}
renamed dashboard "$dash" ferry_nfs_op_duration_seconds ferry_nfs_op_latency_seconds \
	ferry_nfs_op_latency_seconds_bucket
renamed rules "$rules" ferry_cluster_heartbeat_age_seconds ferry_cluster_heartbeat_seconds \
	ferry_cluster_heartbeat_seconds
echo "PASS: prometheus"
