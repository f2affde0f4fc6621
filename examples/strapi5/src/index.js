'use strict';

// Grants the Public role find/findOne/create/update/delete on every content type of src/api,
// so relgate's tests and examples need no API token.
const ACTIONS = ['find', 'findOne', 'create', 'update', 'delete'];

module.exports = {
  register() {},

  async bootstrap({ strapi }) {
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' } });
    if (!role) throw new Error('users-permissions has no public role');
    const wanted = Object.keys(strapi.contentTypes)
      .filter((uid) => uid.startsWith('api::'))
      .flatMap((uid) => ACTIONS.map((action) => `${uid}.${action}`));
    const permissions = strapi.db.query('plugin::users-permissions.permission');
    const have = await permissions.findMany({ where: { role: role.id, action: { $in: wanted } } });
    const granted = new Set(have.map((p) => p.action));
    for (const action of wanted) {
      if (!granted.has(action)) await permissions.create({ data: { action, role: role.id } });
    }
  },
};
