// SQLite only: the file is DATABASE_FILENAME (the test fixture gives each session a fresh one),
// by default data/strapi.db under the project folder.
const path = require('path');

module.exports = ({ env }) => ({
  connection: {
    client: 'sqlite',
    connection: {
      filename: path.resolve(env('DATABASE_FILENAME', path.join(__dirname, '..', 'data', 'strapi.db'))),
    },
    useNullAsDefault: true,
  },
});
