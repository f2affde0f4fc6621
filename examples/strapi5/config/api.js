// Strapi's defaults, written out because relgate relies on them: collections are cut at 100.
module.exports = {
  rest: { defaultLimit: 25, maxLimit: 100, withCount: true },
};
