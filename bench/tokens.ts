// bench/tokens: service-account token costs through the in-process API server: TokenRequest (sign RS256)
// and TokenReview (verify + look up the account and the bound pod), sequential and 16 at a time.
//
//   npm run build && node dist/bench/tokens.js [--quick]
import { ApiServer } from '../src/apiserver/server.js';
import { generateSigningKeys } from '../src/serviceaccount/keys.js';
import { TokenSigner } from '../src/serviceaccount/tokens.js';
import { openMemoryBackend } from '../src/storage/memory/index.js';

const quick = process.argv.includes('--quick');
const N = quick ? 200 : 2000;

async function main(): Promise<void> {
  const t0 = performance.now();
  const keys = generateSigningKeys();
  console.log(`RSA 2048 key generation: ${(performance.now() - t0).toFixed(0)} ms`);
  const backend = await openMemoryBackend();
  const api = new ApiServer({ backend, tokenSigner: new TokenSigner(keys) });
  const { port } = await api.listen(0);
  const base = `http://127.0.0.1:${port}/api/v1/namespaces/default`;
  const post = async (url: string, body: unknown) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return r.json() as Promise<any>;
  };
  await post(`${base}/serviceaccounts`, { metadata: { name: 'bench' } });
  await post(`${base}/pods`, {
    metadata: { name: 'p' },
    spec: { serviceAccountName: 'bench', containers: [{ name: 'c', image: 'busybox' }] },
  });
  const request = () =>
    post(`${base}/serviceaccounts/bench/token`, {
      spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p' } },
    });
  const review = (token: string) =>
    post(`http://127.0.0.1:${port}/apis/authentication.k8s.io/v1/tokenreviews`, { spec: { token } });

  const tokens: string[] = [];
  let start = performance.now();
  for (let i = 0; i < N; i++) tokens.push((await request()).status.token);
  const reqMs = (performance.now() - start) / N;
  start = performance.now();
  for (const t of tokens) if (!(await review(t)).status.authenticated) throw new Error('review failed');
  const revMs = (performance.now() - start) / N;
  console.log(`TokenRequest sequential: ${reqMs.toFixed(2)} ms/op (${(1000 / reqMs).toFixed(0)}/s)`);
  console.log(`TokenReview sequential:  ${revMs.toFixed(2)} ms/op (${(1000 / revMs).toFixed(0)}/s)`);

  const parallel = async (fn: (i: number) => Promise<unknown>) => {
    let next = 0;
    const s = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < N) await fn(next++);
      }),
    );
    return N / ((performance.now() - s) / 1000);
  };
  console.log(`TokenRequest 16 in flight: ${(await parallel(() => request())).toFixed(0)}/s`);
  console.log(`TokenReview 16 in flight:  ${(await parallel((i) => review(tokens[i]))).toFixed(0)}/s`);
  await api.close();
  await backend.close();
}

await main();
