#!/usr/bin/env bash
# bench/pod-cpu: where the CPU of a pod start goes. Starts `k8ts server --disable-agent` and `k8ts agent`
# in cpuacct cgroups of their own (the agent's holds its containerd, the shims, runc and the CNI plugins it
# runs), creates N busybox pods at once, waits until all run, and prints CPU per pod for the control plane,
# the whole node, the agent process and containerd (with the CNI plugins it reaped). Removes everything.
# Needs root and the cgroup v1 cpuacct hierarchy (this machine's layout).
#
#   npm run build && bash bench/pod-cpu.sh [N=20]
set -euo pipefail
N=${1:-20}
cd "$(dirname "$0")/.."
CG=/sys/fs/cgroup/cpuacct/k8ts-bench-$$
[ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ] || { echo "bench/pod-cpu needs the cgroup v1 cpuacct hierarchy"; exit 1; }
D=$(mktemp -d /tmp/k8ts-bench-podcpu-XXXXXX)
K="/usr/lib/google-cloud-sdk/bin/kubectl.1.33 --kubeconfig $D/cp/admin.kubeconfig"
mkdir -p "$CG/cp" "$CG/agent"
CPPID=; AGPID=
cleanup() {
  $K delete pods --all --grace-period=0 --force >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do [ "$($K get pods --no-headers 2>/dev/null | wc -l)" = "0" ] && break; sleep 0.5; done
  [ -n "$AGPID" ] && kill "$AGPID" 2>/dev/null && sleep 4
  [ -n "$CPPID" ] && kill "$CPPID" 2>/dev/null && sleep 1
  node --input-type=module -e "const { cleanupNodeDataDir } = await import('$PWD/dist/test/helpers/node-cleanup.js');
    await cleanupNodeDataDir('$D/node', 'k8tsbench0', '/k8ts-bench-podcpu');" >/dev/null 2>&1 || true
  rm -rf "$D"
  rmdir "$CG/cp" "$CG/agent" "$CG" 2>/dev/null || true
}
trap cleanup EXIT

(echo $BASHPID > "$CG/cp/cgroup.procs"; exec node dist/src/cmd/k8ts.js server --data-dir "$D/cp" --port 0 \
  --disable-agent --cluster-cidr 10.77.0.0/16 > "$D/cp.log" 2>&1) &
CPPID=$!
until URL=$(grep -o 'API server ready at http://[^ ]*' "$D/cp.log" 2>/dev/null | awk '{print $5}') && [ -n "$URL" ]; do sleep 0.2; done
(echo $BASHPID > "$CG/agent/cgroup.procs"; exec node dist/src/cmd/k8ts.js agent --server "$URL" --data-dir "$D/node" \
  --node-name podcpu --cni-bridge k8tsbench0 --cgroup-root /k8ts-bench-podcpu --kubelet-port 0 > "$D/agent.log" 2>&1) &
AGPID=$!
until $K get node podcpu 2>/dev/null | grep -q " Ready"; do sleep 0.5; done
sleep 3

usage_ms() { echo $(( $(cat "$1/cpuacct.usage") / 1000000 )); }
ticks() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat"; }
CTD=$(pgrep -f "containerd --config $D/node" | head -1)
c0=$(usage_ms "$CG/cp"); a0=$(usage_ms "$CG/agent"); p0=$(ticks "$AGPID"); d0=$(ticks "$CTD")
t0=$(date +%s%N)
for i in $(seq 1 "$N"); do
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%s}\nspec: {terminationGracePeriodSeconds: 0, containers: [{name: c, image: k8ts.local/busybox:latest, command: [sleep, "3600"]}]}\n' "$i"
done | $K apply -f - >/dev/null
until [ "$($K get pods --no-headers 2>/dev/null | grep -c Running)" = "$N" ]; do sleep 0.2; done
t1=$(date +%s%N)
c1=$(usage_ms "$CG/cp"); a1=$(usage_ms "$CG/agent"); p1=$(ticks "$AGPID"); d1=$(ticks "$CTD")
hz=$(getconf CLK_TCK)
echo "bench/pod-cpu: $N pods at once, all Running after $(( (t1 - t0) / 1000000 )) ms; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "control plane (server process):            $(( (c1 - c0) / N )) ms CPU per pod"
echo "node (agent, containerd, shims, runc, CNI): $(( (a1 - a0) / N )) ms CPU per pod"
echo "  of which the agent process:               $(( (p1 - p0) * 1000 / hz / N )) ms"
echo "  of which containerd and the CNI plugins:  $(( (d1 - d0) * 1000 / hz / N )) ms"
