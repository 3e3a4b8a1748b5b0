#!/usr/bin/env node
// The k8ts binary: subcommands wire the components together.
import { runAgent } from './agent.js';
import { runServer } from './server.js';

const USAGE = `usage: k8ts <command> [flags]

commands:
  server    start the control plane and a local node
  agent     start only a node, joined to a remote API server
  version   print the version`;

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'server':
      await runServer(rest);
      return;
    case 'agent':
      await runAgent(rest);
      return;
    case 'version':
      console.log('k8ts 0.1.0 (Kubernetes API v1.33)');
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`k8ts: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`k8ts: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
