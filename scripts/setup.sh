#!/usr/bin/env bash
# Installs what k8ts needs on a fresh Debian 12 machine with Node 20, then builds it.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have etcd || need+=(etcd-server)
have containerd || need+=(containerd)
have runc || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
[ -x /bin/busybox ] || need+=(busybox-static)
have nft || need+=(nftables)
# The CNI bridge (ipMasq) and portmap plugins program the pod network with iptables.
have iptables || need+=(iptables)
# A registry on loopback for the image-pull tests.
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
have ip || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  echo "k8ts setup: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian's etcd-server package starts a system etcd on the default ports; k8ts starts its own.
if systemctl is-active --quiet etcd 2>/dev/null; then systemctl stop etcd 2>/dev/null || true; fi
# Likewise docker-registry on :5000; the tests start their own on a free port.
if systemctl is-active --quiet docker-registry 2>/dev/null; then systemctl stop docker-registry 2>/dev/null || true; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
