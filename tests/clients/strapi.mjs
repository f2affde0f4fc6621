// @strapi/client (the official Strapi 5 client) against relgate's /strapi/api front door.
//
// @strapi/client builds URLs and query strings (qs, brackets percent-encoded) and wraps bodies in
// {data}; relation writes (connect/disconnect/set, positions) are what the caller puts in data,
// exactly as a front end written against Strapi 5 does.
import { strapi } from '@strapi/client';
import { attempt, main } from './lib.mjs';

// The client maps statuses to error classes and leaves Strapi's body on error.response.
const describe = async (err) => {
  const body = err.response ? await err.response.json().catch(() => null) : null;
  return { name: err.name, status: err.response?.status ?? null, contentType: err.response?.headers.get('content-type') ?? null, body };
};
const tryIt = async (fn) => {
  const r = await attempt(fn, (e) => e);
  return r.ok ? r : { ok: false, error: await describe(r.error) };
};

const names = (list) => (list ?? []).map((r) => r.name);

main(async (base) => {
  // An API token is sent as `Authorization: Bearer …`, as against a real Strapi.
  const client = strapi({ baseURL: `${base}/strapi/api`, auth: 'relgate-acceptance-token' });
  const restaurants = client.collection('restaurants');
  const categories = client.collection('categories');
  const out = {};

  // --- create / findOne / populate ---------------------------------------------------------------
  const cat = {};
  for (const n of ['A', 'B', 'C', 'D', 'E', 'F']) cat[n] = (await categories.create({ name: `strapi-${n}` })).data.documentId;
  const created = await restaurants.create({ name: 'strapi-R1', categories: [cat.A, cat.B] }, { populate: 'categories' });
  const r1 = created.data.documentId;
  out.create = {
    keys: Object.keys(created.data).sort(),
    documentIdLength: r1.length,
    name: created.data.name,
    categories: names(created.data.categories),
  };
  const one = await restaurants.findOne(r1, { populate: ['categories'] });
  out.findOne = { name: one.data.name, categories: names(one.data.categories), meta: one.meta };

  // --- relations: connect with positions, disconnect, set --------------------------------------------
  const order = async () => names((await restaurants.findOne(r1, { populate: { categories: { fields: ['name'] } } })).data.categories);
  const steps = {};
  const put = async (label, categoriesValue) => {
    const r = await restaurants.update(r1, { categories: categoriesValue }, { populate: 'categories' });
    steps[label] = { response: names(r.data.categories), stored: await order() };
  };
  await put('connectPositions', {
    connect: [
      { documentId: cat.C, position: { before: cat.A } },
      { documentId: cat.D, position: { start: true } },
      { documentId: cat.E, position: { after: cat.B } },
    ],
  });
  await put('moveToEnd', { connect: [{ documentId: cat.D, position: { end: true } }] });
  await put('disconnect', { disconnect: [cat.A] });
  await put('connectAndDisconnect', { connect: [{ documentId: cat.A, position: { after: cat.C } }], disconnect: [{ documentId: cat.E }] });
  await put('set', { set: [cat.E, cat.C] });
  await put('shorthand', [cat.B, cat.A]);
  // C's anchor D comes later in the array and is not connected yet: D is placed first.
  await put('forwardAnchor', { connect: [{ documentId: cat.C, position: { after: cat.D } }, { documentId: cat.D, position: { start: true } }] });
  // E exists but is not connected: without strict the item goes to the end.
  await put('nonStrict', { connect: [{ documentId: cat.B, position: { before: cat.E } }], options: { strict: false } });
  out.relations = steps;
  out.relationErrors = {
    strictAnchor: await tryIt(() => restaurants.update(r1, { categories: { connect: [{ documentId: cat.A, position: { start: true } }, { documentId: cat.B, position: { after: cat.E } }] } })),
    unknownAnchor: await tryIt(() => restaurants.update(r1, { categories: { connect: [{ documentId: cat.A, position: { before: 'zzzzzzzzzzzzzzzzzzzzzzzz' } }] } })),
    unknownDocument: await tryIt(() => restaurants.update(r1, { categories: { connect: ['zzzzzzzzzzzzzzzzzzzzzzzz'] } })),
    // neither E nor F is connected, and each is to be placed after the other
    circular: await tryIt(() =>
      restaurants.update(r1, { categories: { connect: [{ documentId: cat.E, position: { after: cat.F } }, { documentId: cat.F, position: { after: cat.E } }] } }),
    ),
  };
  out.afterRelationErrors = await order();

  // --- find: filters, sort, fields, pagination ---------------------------------------------------
  for (const n of ['R2', 'R3', 'R4']) await restaurants.create({ name: `strapi-${n}`, categories: n === 'R3' ? [cat.E] : [] });
  const page = await restaurants.find({ filters: { name: { $startsWith: 'strapi-R' } }, sort: 'name:desc', pagination: { page: 1, pageSize: 3 }, fields: ['name'] });
  out.findPage = { names: names(page.data), keys: page.data.map((r) => Object.keys(r).sort()), pagination: page.meta.pagination };
  const offset = await restaurants.find({ sort: ['name:asc'], pagination: { start: 1, limit: 2, withCount: false } });
  out.findOffset = { names: names(offset.data), pagination: offset.meta.pagination };
  const related = await restaurants.find({ filters: { categories: { name: { $eq: 'strapi-E' } } }, sort: 'name' });
  out.filterThroughRelation = names(related.data);
  const or = await restaurants.find({ filters: { $or: [{ name: 'strapi-R2' }, { name: { $endsWith: '4' } }] }, sort: 'name' });
  out.filterOr = names(or.data);
  const inList = await restaurants.find({ filters: { name: { $in: ['strapi-R2', 'strapi-R4', 'nope'] } }, sort: ['name:desc'], status: 'published', locale: 'en' });
  out.filterIn = names(inList.data);
  const page2 = await restaurants.find({ filters: { name: { $startsWith: 'strapi-R' } }, sort: 'name', pagination: { page: 2, pageSize: 3, withCount: true } });
  out.page2 = { names: names(page2.data), pagination: page2.meta.pagination };
  const deep = await restaurants.find({ filters: { name: 'strapi-R3' }, populate: { categories: { fields: ['name'], populate: { restaurants: { fields: ['name'] } } } } });
  out.deepPopulate = deep.data[0].categories.map((c) => ({ name: c.name, restaurants: names(c.restaurants) }));
  const positioned = await restaurants.create(
    { name: 'strapi-R5', categories: { connect: [{ documentId: cat.A }, { documentId: cat.B, position: { before: cat.A } }, { documentId: cat.C, position: { start: true } }] } },
    { populate: 'categories' },
  );
  out.createWithPositions = names(positioned.data.categories);
  const populated = await categories.find({ filters: { name: 'strapi-E' }, populate: { restaurants: { fields: ['name'], sort: ['name:desc'] } } });
  out.populateInverse = names(populated.data[0].restaurants);

  // --- to-one relations --------------------------------------------------------------------------
  const people = client.collection('people');
  const articles = client.collection('articles');
  const ann = (await people.create({ name: 'strapi-Ann', age: 30 })).data.documentId;
  const bob = (await people.create({ name: 'strapi-Bob', age: 40 })).data.documentId;
  const art = (await articles.create({ title: 'strapi-article', author: ann }, { populate: 'author' })).data;
  const author = async () => (await articles.findOne(art.documentId, { populate: '*' })).data.author?.name ?? null;
  const toOne = { created: art.author?.name ?? null };
  await articles.update(art.documentId, { author: { connect: [bob] } });
  toOne.connect = await author();
  await articles.update(art.documentId, { author: { disconnect: [ann] } });
  toOne.disconnectOther = await author();
  await articles.update(art.documentId, { author: { disconnect: [{ documentId: bob }] } });
  toOne.disconnectCurrent = await author();
  await articles.update(art.documentId, { author: { set: [{ documentId: ann }] } });
  toOne.set = await author();
  const annArticles = await people.findOne(ann, { populate: 'articles' });
  toOne.inverse = annArticles.data.articles.map((a) => a.title);
  out.toOne = toOne;

  // --- update of attributes, delete ----------------------------------------------------------------
  const renamed = await restaurants.update(r1, { name: 'strapi-R1-renamed' });
  out.updateAttribute = { name: renamed.data.name, documentId: renamed.data.documentId === r1 };
  const deleted = await restaurants.delete(r1);
  out.delete = { resolved: deleted === undefined ? 'undefined' : deleted, after: await tryIt(() => restaurants.findOne(r1)) };

  // --- errors as the client exposes them -----------------------------------------------------------
  out.errors = {
    notFound: await tryIt(() => restaurants.findOne('zzzzzzzzzzzzzzzzzzzzzzzz')),
    updateMissing: await tryIt(() => restaurants.update(r1, { name: 'x' })),
    deleteMissing: await tryIt(() => restaurants.delete(r1)),
    unknownAttribute: await tryIt(() => restaurants.create({ name: 'x', stars: 5 })),
    wrongType: await tryIt(() => people.create({ name: 'strapi-Carl', age: 'old' })),
    unique: await tryIt(() => people.create({ name: 'strapi-Ann' })),
    badPage: await tryIt(() => restaurants.find({ pagination: { page: 0 } })),
    unknownCollection: await tryIt(() => client.collection('nothings').find()),
  };

  // --- a Strapi 4 front door (/strapi4/api: numeric ids in URLs, v4 bodies) with the same client ---
  const v4route = strapi({ baseURL: `${base}/strapi4/api` });
  const v4list = await v4route.collection('restaurants').find({ filters: { name: 'strapi-R3' }, populate: 'categories' });
  const v4id = String(v4list.data[0].id);
  const v4one = await v4route.collection('restaurants').findOne(v4id, { populate: ['categories'] });
  const rowA = (await v4route.collection('categories').find({ filters: { name: 'strapi-A' } })).data[0].id;
  const v4upd = await v4route.collection('restaurants').update(v4id, { name: 'strapi-R3-v4', categories: { connect: [rowA] } }, { populate: 'categories' });
  out.v4Route = {
    name: v4one.data.attributes.name,
    categories: v4one.data.attributes.categories.data.map((c) => c.attributes.name),
    rowIdOfA: typeof rowA,
    updated: { name: v4upd.data.attributes.name, categories: v4upd.data.attributes.categories.data.map((c) => c.attributes.name) },
    deleted: (await v4route.collection('restaurants').delete(String(positioned.data.id))) ?? 'undefined',
    afterDelete: (await tryIt(() => v4route.collection('restaurants').findOne(String(positioned.data.id)))).error?.status ?? 'found',
  };

  // --- Strapi 4 response format on a v5 route, asked per request by header --------------------------
  const v4 = strapi({ baseURL: `${base}/strapi/api`, headers: { 'Strapi-Response-Format': 'v4' } });
  const asV4 = await v4.collection('categories').findOne(cat.E, { populate: 'restaurants' });
  out.v4Header = { keys: Object.keys(asV4.data).sort(), name: asV4.data.attributes?.name ?? null, restaurants: (asV4.data.attributes?.restaurants?.data ?? []).map((r) => r.attributes.name) };
  return out;
});
