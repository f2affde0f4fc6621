// The admin panel is not served (and never built): relgate talks to the content API only.
module.exports = ({ env }) => ({
  serveAdminPanel: false,
  autoOpen: false,
  auth: { secret: env('ADMIN_JWT_SECRET', 'relgate-test-admin-jwt-secret') },
  apiToken: { salt: env('API_TOKEN_SALT', 'relgate-test-api-token-salt') },
  transfer: { token: { salt: env('TRANSFER_TOKEN_SALT', 'relgate-test-transfer-token-salt') } },
  secrets: { encryptionKey: env('ENCRYPTION_KEY', 'relgate-test-encryption-key') },
});
