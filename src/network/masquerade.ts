// Source NAT for pods: traffic leaving the pod network for anything that is not a pod (the host, other
// machines) goes out with the node's address; traffic to any node's podCIDR keeps the pod's own address,
// so a pod on another node sees who called it (upstream clusters get the same from ip-masq-agent or the
// network plugin, which exclude the cluster CIDR). The CNI bridge plugin's own ipMasq cannot exclude
// other nodes' ranges, so k8ts turns it off and keeps this rule in an nftables table of its own, named
// after the node's bridge; the table is rewritten whole at every change.
import { execFile } from 'node:child_process';

export function masqueradeTable(bridge: string): string {
  return `k8ts-masq-${bridge}`;
}

/** The nft script for this node's podCIDRs, with every known podCIDR (its own included) left alone. */
export function masqueradeScript(bridge: string, own: string[], allPodCIDRs: string[]): string {
  const lines: string[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    const v6 = family === 'ip6';
    const mine = own.filter((c) => c.includes(':') === v6);
    if (mine.length === 0) continue;
    const keep = [...new Set(allPodCIDRs.filter((c) => c.includes(':') === v6))].sort();
    // Multicast and link-local traffic is never NATed (the CNI plugin skips 224.0.0.0/4 likewise).
    keep.push(v6 ? 'ff00::/8' : '224.0.0.0/4');
    const table = `${family} ${masqueradeTable(bridge)}`;
    lines.push(
      // `add` then `delete` removes a table whether or not it existed; the new one replaces it atomically.
      `add table ${table}`,
      `delete table ${table}`,
      `table ${table} {`,
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      ...mine.map((c) => `    ${family} saddr ${c} ${family} daddr != { ${keep.join(', ')} } masquerade`),
      '  }',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

function nft(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = execFile('nft', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`nft ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve();
    });
    if (input !== undefined) p.stdin!.end(input);
  });
}

export function applyMasquerade(bridge: string, own: string[], allPodCIDRs: string[]): Promise<void> {
  return nft(['-f', '-'], masqueradeScript(bridge, own, allPodCIDRs));
}

/** Deletes the node's masquerade tables (both families); no error when they are not there. */
export async function removeMasquerade(bridge: string): Promise<void> {
  for (const family of ['ip', 'ip6']) {
    const table = `${family} ${masqueradeTable(bridge)}`;
    await nft(['-f', '-'], `add table ${table}\ndelete table ${table}\n`).catch(() => {});
  }
}
