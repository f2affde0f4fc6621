// kitsu (JSON:API client, axios-based) against relgate's /jsonapi front door.
//
// Uses only kitsu's public API: get/post/patch/delete with models like 'people',
// 'people/1/relationships/computers' and request() for what the shorthand cannot express
// (a to-one relationship PATCH, whose type kitsu would otherwise guess from the URL).
import Kitsu from 'kitsu';
import { attempt, main } from './lib.mjs';

const describe = (err) => ({
  status: err.response?.status ?? null,
  contentType: err.response?.headers?.['content-type'] ?? null,
  errors: err.errors ?? null,
});

const names = (list) => list.map((r) => r.name);
const ids = (list) => list.map((r) => r.id);

main(async (base) => {
  const api = new Kitsu({ baseURL: `${base}/jsonapi`, timeout: 10000 });
  const out = {};

  // --- create -------------------------------------------------------------------------------
  const ann = await api.post('people', { name: 'kitsu-Ann', age: 33 });
  const bob = await api.post('people', { name: 'kitsu-Bob', age: 41 });
  out.create = { status: ann.status, type: ann.data.type, name: ann.data.name, age: ann.data.age, location: ann.headers?.location ?? null };
  const computers = [];
  const statuses = [];
  for (const [name, vendor] of [['kitsu-alpha', 'Acme'], ['kitsu-beta', 'Bolt'], ['kitsu-gamma', 'Acme']]) {
    const r = await api.post('computers', { name, vendor, owner: { data: { type: 'people', id: ann.data.id } } });
    computers.push(r.data);
    statuses.push(r.status);
  }
  out.createWithToOne = { statuses, ownerIds: computers.map((c) => c.owner?.data?.id ?? null) };
  out.ids = { ann: ann.data.id, bob: bob.data.id, computers: ids(computers) };

  // --- read: include, sparse fields, sort, pagination, filter --------------------------------------
  const withInclude = await api.get(`people/${ann.data.id}`, { params: { include: 'computers' } });
  out.include = { name: withInclude.data.name, computers: names(withInclude.data.computers.data) };

  const sparse = await api.get('computers', {
    params: { fields: { computers: 'name' }, sort: '-name', page: { number: 1, size: 2 }, filter: { vendor: 'Acme' } },
  });
  out.sparseSortPage = {
    names: names(sparse.data),
    keys: sparse.data.map((r) => Object.keys(r).sort()),
    total: sparse.meta?.total ?? null,
    hasNext: sparse.links?.next != null,
  };
  const page2 = await api.get('computers', { params: { sort: 'name', page: { number: 2, size: 2 } } });
  out.page2 = { names: names(page2.data), hasPrev: page2.links?.prev != null, hasNext: page2.links?.next != null };
  const byOp = await api.get('people', { params: { filter: { age: { gt: 35 } } } });
  out.filterOperator = names(byOp.data);

  // --- update: attributes, to-one and to-many inline ---------------------------------------------
  const upd = await api.patch('computers', { id: computers[1].id, vendor: 'Acme' });
  out.updateAttribute = { status: upd.status, vendor: upd.data.vendor, name: upd.data.name };
  const moved = await api.patch('computers', { id: computers[0].id, owner: { data: { type: 'people', id: bob.data.id } } });
  out.updateToOne = { status: moved.status, owner: moved.data.owner?.data?.id ?? null };
  const cleared = await api.patch('computers', { id: computers[2].id, owner: { data: null } });
  const ownerAfterClear = await api.get(`computers/${computers[2].id}/relationships/owner`);
  out.clearToOne = { status: cleared.status, owner: ownerAfterClear.data };
  const annNow = await api.get(`people/${ann.data.id}/relationships/computers`);
  out.afterInlineToOne = ids(annNow.data);

  const cats = [];
  for (const name of ['kitsu-c1', 'kitsu-c2', 'kitsu-c3']) cats.push((await api.post('categories', { name })).data);
  out.ids.categories = ids(cats);
  const resto = await api.post('restaurants', { name: 'kitsu-R', categories: { data: [cats[0], cats[1]].map((c) => ({ type: 'categories', id: c.id })) } });
  out.ids.restaurant = resto.data.id;
  const reordered = await api.patch(
    'restaurants',
    { id: resto.data.id, categories: { data: [cats[2], cats[0], cats[1]].map((c) => ({ type: 'categories', id: c.id })) } },
    { params: { include: 'categories' } },
  );
  out.updateToManyInline = { status: reordered.status, categories: names(reordered.data.categories.data) };

  // --- relationship endpoints --------------------------------------------------------------------
  const rel = `people/${bob.data.id}/relationships/computers`;
  const added = await api.post(rel, [{ id: computers[2].id }]);
  const afterAdd = await api.get(rel);
  const removed = await api.delete(rel, [computers[0].id]);
  const afterRemove = await api.get(rel);
  const replaced = await api.patch(`restaurants/${resto.data.id}/relationships/categories`, [{ id: cats[2].id }, { id: cats[0].id }]);
  const afterReplace = await api.get(`restaurants/${resto.data.id}/relationships/categories`);
  out.relationshipEndpoints = {
    addStatus: added.status,
    afterAdd: ids(afterAdd.data),
    removeStatus: removed.status,
    afterRemove: ids(afterRemove.data),
    replaceStatus: replaced.status,
    afterReplace: ids(afterReplace.data),
  };

  const art = await api.post('articles', { title: 'kitsu-article' });
  const setOne = await api.request({ method: 'PATCH', url: `articles/${art.data.id}/relationships/author`, type: 'people', body: { id: ann.data.id } });
  const author = await api.get(`articles/${art.data.id}/author`);
  const unsetOne = await api.request({ method: 'PATCH', url: `articles/${art.data.id}/relationships/author`, type: 'people', body: null });
  const authorAfter = await api.get(`articles/${art.data.id}/relationships/author`);
  out.toOneEndpoint = { setStatus: setOne.status, author: author.data?.name ?? null, unsetStatus: unsetOne.status, after: authorAfter.data };

  const art1 = await api.post('articles', { title: 'kitsu-nested', author: { data: { type: 'people', id: bob.data.id } } });
  const nested = await api.get(`articles/${art1.data.id}`, {
    params: { include: 'author.computers', fields: { articles: 'title,author', people: 'name,computers', computers: 'name' } },
  });
  out.nestedInclude = {
    title: nested.data.title,
    author: nested.data.author.data.name,
    authorKeys: Object.keys(nested.data.author.data).sort(),
    computers: nested.data.author.data.computers.data.map((c) => c.name).sort(),
  };
  const related = await api.get(`people/${bob.data.id}/computers`, { params: { sort: 'name' } });
  out.related = names(related.data);

  // --- delete ------------------------------------------------------------------------------------
  const del = await api.delete('computers', computers[1].id);
  out.delete = { status: del.status, after: await attempt(() => api.get(`computers/${computers[1].id}`), describe) };

  // --- errors as kitsu exposes them (err.errors = the JSON:API errors array) ------------------------
  out.errors = {
    notFound: await attempt(() => api.get('people/999999'), describe),
    unknownAttribute: await attempt(() => api.post('people', { name: 'kitsu-X', shoeSize: 44 }), describe),
    duplicateName: await attempt(() => api.post('people', { name: 'kitsu-Ann' }), describe),
    missingTarget: await attempt(() => api.post(rel, [{ id: '999999' }]), describe),
    badInclude: await attempt(() => api.get('people', { params: { include: 'nope' } }), describe),
    // kitsu guesses a relationship's type from its name: 'owner' -> 'owners'.
    guessedType: await attempt(() => api.patch('computers', { id: computers[0].id, owner: { data: { id: ann.data.id } } }), describe),
  };
  return out;
});
