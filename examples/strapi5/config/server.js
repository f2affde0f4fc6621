// Content API only, on the loopback interface; the port comes from PORT (default 1337).
module.exports = ({ env }) => ({
  host: env('HOST', '127.0.0.1'),
  port: env.int('PORT', 1337),
  // No update check: the instance must not call out (the npm registry is the only network here).
  logger: { updates: { enabled: false }, startup: { enabled: false } },
  app: {
    // A test backend: fixed keys unless APP_KEYS is set. Never expose this instance.
    keys: env.array('APP_KEYS', ['relgate-test-key-1', 'relgate-test-key-2']),
  },
});
