// Shared helpers of the client scripts: where relgate is, and how a script reports.
//
// Every script is run as `node <script>.mjs <relgate base URL>` (or with RELGATE_URL set) against
// a fresh `relgate serve`. It drives one real client through its scenarios, records what the
// client exposed (ids, orders, statuses, error objects) and prints one JSON object on stdout.
// The assertions live in tests/e2e/test_js_clients.py. Any unexpected failure exits 1 with the
// error on stderr.

export function baseUrl() {
  const url = process.argv[2] || process.env.RELGATE_URL;
  if (!url) {
    console.error('usage: node <script>.mjs <relgate base URL, e.g. http://127.0.0.1:8080>');
    process.exit(2);
  }
  return url.replace(/\/+$/, '');
}

// Runs `fn` and returns what it resolved to, or what the client raised, so a script can record an
// expected failure next to the successes. `describe` turns the client's error into plain JSON.
export async function attempt(fn, describe) {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

export async function main(run) {
  let finished = false;
  // A promise that never settles lets Node exit with status 0 and no output: make that a failure.
  process.on('exit', (code) => {
    if (!finished && code === 0) {
      console.error('client scenario did not finish (a pending promise never settled)');
      process.exitCode = 1;
    }
  });
  try {
    const result = await run(baseUrl());
    finished = true;
    process.stdout.write(JSON.stringify(result, null, 1) + '\n');
  } catch (err) {
    finished = true;
    console.error('client scenario failed:', err instanceof Error ? err.stack : JSON.stringify(err));
    if (err?.response) {
      const r = err.response;
      console.error('response:', r.status, JSON.stringify(r.data ?? err.data ?? null));
    }
    process.exit(1);
  }
}
