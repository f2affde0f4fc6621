// devour-client (JSON:API client, axios-based) against relgate's /jsonapi front door.
//
// Models are defined the way devour's README does for its URL builder: singular model names and
// relationship types ('person', 'computer'), so inline linkage carries singular types (relgate's
// configured jsonapi aliases), collection URLs are pluralized, and relationship-endpoint bodies
// carry `meta: {}` next to `data`. devour's destroy() of relationship members sends what it is
// given, so identifiers without `type` reach the server exactly as in devour's README.
import JsonApi from 'devour-client';
import { attempt, main } from './lib.mjs';

// devour rejects with an object of errors keyed by the pointer's last segment (or the index);
// the errorBuilder option decides what each entry holds.
const errorBuilder = (e) => ({ status: e.status, code: e.code, title: e.title, pointer: e.source?.pointer ?? null });
const describe = (err) => (err instanceof Error ? { message: err.message } : err);

const names = (list) => list.map((r) => r.name);
const ids = (list) => list.map((r) => r.id);

main(async (base) => {
  const api = new JsonApi({ apiUrl: `${base}/jsonapi`, logger: false, errorBuilder });
  api.define('person', {
    name: '',
    age: null,
    computers: { jsonApi: 'hasMany', type: 'computer' },
    articles: { jsonApi: 'hasMany', type: 'article' },
  });
  api.define('computer', { name: '', vendor: '', owner: { jsonApi: 'hasOne', type: 'person' } });
  api.define('article', { title: '', author: { jsonApi: 'hasOne', type: 'person' } });
  api.define('restaurant', { name: '', categories: { jsonApi: 'hasMany', type: 'category' } });
  api.define('category', { name: '', restaurants: { jsonApi: 'hasMany', type: 'restaurant' } });
  const out = {};

  // --- create -------------------------------------------------------------------------------
  const ann = (await api.create('person', { name: 'devour-Ann', age: 33 })).data;
  const bob = (await api.create('person', { name: 'devour-Bob', age: 41 })).data;
  out.create = { type: ann.type, name: ann.name, age: ann.age };
  const computers = [];
  for (const [name, vendor] of [['devour-alpha', 'Acme'], ['devour-beta', 'Bolt'], ['devour-gamma', 'Acme']]) {
    computers.push((await api.create('computer', { name, vendor, owner: { id: ann.id } }, { include: 'owner' })).data);
  }
  out.createWithToOne = computers.map((c) => c.owner?.name ?? null);
  out.ids = { ann: ann.id, bob: bob.id, computers: ids(computers) };

  // --- read: include, sparse fields, sort, pagination, filter --------------------------------------
  const found = (await api.find('person', ann.id, { include: 'computers' })).data;
  out.include = { name: found.name, computers: names(found.computers) };
  const sparse = await api.findAll('computer', { fields: { computers: 'name' }, sort: '-name', page: { number: 1, size: 2 }, filter: { vendor: 'Acme' } });
  out.sparseSortPage = { names: names(sparse.data), vendors: sparse.data.map((c) => c.vendor ?? null), total: sparse.meta?.total ?? null };
  const page2 = await api.findAll('computer', { sort: 'name', page: { number: 2, size: 2 } });
  out.page2 = { names: names(page2.data), hasPrev: page2.links?.prev != null, hasNext: page2.links?.next != null };

  // --- update: attributes, to-one and to-many inline ---------------------------------------------
  const upd = (await api.update('computer', { id: computers[1].id, vendor: 'Acme' })).data;
  out.updateAttribute = { vendor: upd.vendor, name: upd.name };
  const moved = (await api.update('computer', { id: computers[0].id, owner: { id: bob.id } }, { include: 'owner' })).data;
  out.updateToOne = moved.owner?.name ?? null;
  await api.update('computer', { id: computers[2].id, owner: null });
  out.clearToOne = (await api.one('computer', computers[2].id).relationships('owner').get()).data;

  const cats = [];
  for (const name of ['devour-c1', 'devour-c2', 'devour-c3']) cats.push((await api.create('category', { name })).data);
  out.ids.categories = ids(cats);
  const resto = (await api.create('restaurant', { name: 'devour-R', categories: [{ id: cats[0].id }, { id: cats[1].id }] })).data;
  out.ids.restaurant = resto.id;
  const reordered = (await api.update('restaurant', { id: resto.id, categories: [cats[2], cats[0], cats[1]].map((c) => ({ id: c.id })) }, { include: 'categories' })).data;
  out.updateToManyInline = names(reordered.categories);

  // --- relationship endpoints (devour's URL builder) --------------------------------------------
  const bobComputers = () => api.one('person', bob.id).relationships('computers');
  await bobComputers().post([{ id: computers[2].id }]);
  const afterAdd = (await api.one('person', bob.id).all('computer').get({ sort: 'name' })).data;
  // devour's README style: members to remove given by id only (no type).
  const typelessRemove = await attempt(() => bobComputers().destroy([{ id: computers[0].id }]), describe);
  const afterRemove = (await api.find('person', bob.id, { include: 'computers' })).data;
  await api.one('restaurant', resto.id).relationships('categories').patch([{ id: cats[2].id }, { id: cats[0].id }]);
  const afterReplace = (await api.find('restaurant', resto.id, { include: 'categories' })).data;
  await bobComputers().destroy([{ id: computers[2].id, type: 'computers' }]);
  const afterTypedRemove = (await api.find('person', bob.id, { include: 'computers' })).data;
  out.relationshipEndpoints = {
    afterAdd: names(afterAdd),
    typelessRemove: typelessRemove.ok ? 'ok' : typelessRemove.error,
    afterRemove: names(afterRemove.computers),
    afterReplace: names(afterReplace.categories),
    afterTypedRemove: names(afterTypedRemove.computers),
  };

  const art = (await api.create('article', { title: 'devour-article' })).data;
  await api.one('article', art.id).relationships('author').patch({ id: ann.id });
  const withAuthor = (await api.find('article', art.id, { include: 'author' })).data;
  await api.one('article', art.id).relationships('author').patch(null);
  const withoutAuthor = (await api.find('article', art.id, { include: 'author' })).data;
  out.toOneEndpoint = { author: withAuthor.author?.name ?? null, after: withoutAuthor.author ?? null };

  // --- delete ------------------------------------------------------------------------------------
  const del = await api.destroy('computer', computers[1].id);
  out.delete = { data: del.data, after: await attempt(() => api.find('computer', computers[1].id), describe) };

  // --- errors as devour exposes them ----------------------------------------------------------------
  out.errors = {
    notFound: await attempt(() => api.find('person', '999999'), describe),
    duplicateName: await attempt(() => api.create('person', { name: 'devour-Ann' }), describe),
    missingTarget: await attempt(() => api.update('computer', { id: computers[0].id, owner: { id: '999999' } }), describe),
    badSort: await attempt(() => api.findAll('person', { sort: 'shoeSize' }), describe),
  };
  return out;
});
