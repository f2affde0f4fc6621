// Orbit (@orbit/jsonapi JSONAPISource, plain Node: global fetch) against relgate's /jsonapi.
//
// Two setups Orbit users have:
// - Orbit's default identity: the client generates UUIDs and POSTs them as `id` (relgate's uuid
//   types dids / trunks / trunk_groups take client ids). Types are serialized plural + snake_case
//   to match relgate's names ('trunkGroup' <-> 'trunk_groups').
// - A keyMap with `remoteId` keys for server-generated integer ids (people / articles), types
//   pluralized with an irregular 'person' <-> 'people' inflector, as Orbit's docs suggest.
// Orbit replaces relationships with resource PATCHes and adds/removes to-many members through
// relationship URLs (POST/DELETE).
import { JSONAPISource, JSONAPISerializers } from '@orbit/jsonapi';
import { RecordKeyMap, RecordSchema } from '@orbit/records';
import { buildSerializerSettingsFor } from '@orbit/serializers';
import { attempt, main } from './lib.mjs';

const describe = (err) => ({
  name: err.constructor?.name ?? null,
  status: err.response?.status ?? null,
  errors: err.data?.errors ?? null,
  message: err.data ? null : String(err.message ?? err),
});

// Type names in documents and URLs: the given inflectors (and their inverses when reading), with a
// pluralize that knows 'person'.
const inflectors = {
  pluralize: (w) => (w === 'person' ? 'people' : `${w}s`),
  singularize: (w) => (w === 'people' ? 'person' : w.replace(/s$/, '')),
};
const typeNames = (names) =>
  buildSerializerSettingsFor({
    sharedSettings: { inflectors },
    settingsByType: {
      [JSONAPISerializers.ResourceType]: { serializationOptions: { inflectors: names } },
      [JSONAPISerializers.ResourceTypePath]: { serializationOptions: { inflectors: names } },
    },
  });

// A failed request stops the source's request queue until the failed task is skipped (Orbit's
// TaskQueue semantics): skip it, as an application's error handler does.
const tryOn = async (source, fn) => {
  const r = await attempt(fn, describe);
  if (!r.ok && source.requestQueue.error) await source.requestQueue.skip();
  return r;
};

main(async (base) => {
  const out = {};

  // --- client-generated UUIDs (Orbit's default) -------------------------------------------------
  const uuidSchema = new RecordSchema({
    models: {
      did: { attributes: { number: { type: 'string' } }, relationships: { trunk: { kind: 'hasOne', type: 'trunk' } } },
      trunk: { attributes: { name: { type: 'string' } } },
      trunkGroup: { attributes: { name: { type: 'string' } }, relationships: { trunks: { kind: 'hasMany', type: 'trunk' } } },
    },
  });
  const remote = new JSONAPISource({ schema: uuidSchema, host: base, namespace: 'jsonapi', serializerSettingsFor: typeNames(['pluralize', 'underscore']) });
  const id = (type) => uuidSchema.generateId(type);

  const t1 = { type: 'trunk', id: id('trunk'), attributes: { name: 'orbit-T1' } };
  const t2 = { type: 'trunk', id: id('trunk'), attributes: { name: 'orbit-T2' } };
  const t3 = { type: 'trunk', id: id('trunk'), attributes: { name: 'orbit-T3' } };
  const created = [];
  for (const t of [t1, t2, t3]) created.push(await remote.update((b) => b.addRecord(t)));
  out.clientIds = { sent: [t1.id, t2.id, t3.id], returned: created.map((r) => r.id), names: created.map((r) => r.attributes.name) };

  const did = { type: 'did', id: id('did'), attributes: { number: '+15550001' }, relationships: { trunk: { data: { type: 'trunk', id: t1.id } } } };
  const didCreated = await remote.update((b) => b.addRecord(did));
  out.createWithToOne = { sent: did.id, returned: didCreated.id, trunk: didCreated.relationships?.trunk?.data?.id ?? null };

  const group = { type: 'trunkGroup', id: id('trunkGroup'), attributes: { name: 'orbit-G' }, relationships: { trunks: { data: [t1, t2].map(({ type, id }) => ({ type, id })) } } };
  await remote.update((b) => b.addRecord(group));
  const groupRef = { type: 'trunkGroup', id: group.id };
  const trunksOf = async () => (await remote.query((q) => q.findRelatedRecords(groupRef, 'trunks'))).map((r) => r.attributes.name);
  out.createWithToMany = await trunksOf();

  // queries: one record with include, filters, sort, related records
  const fetched = await remote.query((q) => q.findRecord({ type: 'did', id: did.id }), { include: ['trunk'] });
  out.findRecord = { number: fetched.attributes.number, trunk: fetched.relationships.trunk.data.id };
  const sorted = await remote.query((q) => q.findRecords('trunk').sort('-name'));
  out.sort = sorted.map((r) => r.attributes.name);
  // relgate's page[number]/page[size], passed as fetch settings
  const paged = await remote.query((q) => q.findRecords('trunk').sort('name'), { settings: { params: { page: { number: 2, size: 2 } } } });
  out.page = paged.map((r) => r.attributes.name);
  const filtered = await remote.query((q) => q.findRecords('trunk').filter({ attribute: 'name', value: 'orbit-T2' }));
  out.filter = filtered.map((r) => r.attributes.name);
  const related = await remote.query((q) => q.findRelatedRecord({ type: 'did', id: did.id }, 'trunk'));
  out.findRelatedRecord = related?.attributes?.name ?? null;
  const byRelated = await remote.query((q) => q.findRecords('did').filter({ relation: 'trunk', record: { type: 'trunk', id: t1.id } }));
  out.filterByRelatedRecord = byRelated.map((r) => r.attributes.number);

  // transforms: attributes and relationships
  await remote.update((b) => b.replaceAttribute({ type: 'trunk', id: t3.id }, 'name', 'orbit-T3b'));
  out.replaceAttribute = (await remote.query((q) => q.findRecord({ type: 'trunk', id: t3.id }))).attributes.name;
  await remote.update((b) => b.replaceRelatedRecord({ type: 'did', id: did.id }, 'trunk', { type: 'trunk', id: t2.id }));
  const afterReplaceOne = await remote.query((q) => q.findRelatedRecord({ type: 'did', id: did.id }, 'trunk'));
  await remote.update((b) => b.replaceRelatedRecord({ type: 'did', id: did.id }, 'trunk', null));
  const afterClearOne = await remote.query((q) => q.findRelatedRecord({ type: 'did', id: did.id }, 'trunk'));
  out.replaceRelatedRecord = { replaced: afterReplaceOne?.attributes?.name ?? null, cleared: afterClearOne ?? null };

  const steps = {};
  await remote.update((b) => b.addToRelatedRecords(groupRef, 'trunks', { type: 'trunk', id: t3.id }));
  steps.add = await trunksOf();
  await remote.update((b) => b.removeFromRelatedRecords(groupRef, 'trunks', { type: 'trunk', id: t1.id }));
  steps.remove = await trunksOf();
  await remote.update((b) => b.replaceRelatedRecords(groupRef, 'trunks', [t3, t1, t2].map(({ type, id }) => ({ type, id }))));
  steps.replace = await trunksOf();
  await remote.update((b) => b.replaceRelatedRecords(groupRef, 'trunks', []));
  steps.clear = await trunksOf();
  out.toMany = steps;

  await remote.update((b) => b.removeRecord({ type: 'did', id: did.id }));
  out.removeRecord = await tryOn(remote, () => remote.query((q) => q.findRecord({ type: 'did', id: did.id }), { raiseNotFoundExceptions: true }));

  const did2 = { type: 'did', id: id('did'), attributes: { number: '+15550002' } };
  await remote.update((b) => b.addRecord(did2));
  out.errors = {
    duplicateClientId: await tryOn(remote, () => remote.update((b) => b.addRecord({ type: 'trunk', id: t1.id, attributes: { name: 'dup' } }))),
    missingTarget: await tryOn(remote, () => remote.update((b) => b.replaceRelatedRecord({ type: 'did', id: did2.id }, 'trunk', { type: 'trunk', id: id('trunk') }))),
    // Orbit's own page strategy is offset/limit; relgate paginates by number/size.
    offsetPaging: await tryOn(remote, () => remote.query((q) => q.findRecords('trunk').page({ offset: 0, limit: 2 }))),
  };
  // Orbit treats a 404 answer to a write as success (the record is gone): the write must not have happened.
  out.afterMissingTarget = (await remote.query((q) => q.findRelatedRecord({ type: 'did', id: did2.id }, 'trunk'))) ?? null;

  // --- server-generated ids through a keyMap ----------------------------------------------------
  const keyMap = new RecordKeyMap();
  const keyed = new RecordSchema({
    models: {
      person: { keys: { remoteId: {} }, attributes: { name: { type: 'string' } }, relationships: { articles: { kind: 'hasMany', type: 'article', inverse: 'author' } } },
      article: { keys: { remoteId: {} }, attributes: { title: { type: 'string' } }, relationships: { author: { kind: 'hasOne', type: 'person', inverse: 'articles' } } },
    },
  });
  const server = new JSONAPISource({ schema: keyed, keyMap, host: base, namespace: 'jsonapi', serializerSettingsFor: typeNames(['pluralize']) });
  const push = (record) => {
    keyMap.pushRecord(record);
    return record;
  };
  const person = push(await server.update((b) => b.addRecord({ type: 'person', id: keyed.generateId('person'), attributes: { name: 'orbit-Ann' } })));
  const art = push(
    await server.update((b) =>
      b.addRecord({ type: 'article', id: keyed.generateId('article'), attributes: { title: 'orbit-article' }, relationships: { author: { data: { type: 'person', id: person.id } } } }),
    ),
  );
  const byServer = await server.query((q) => q.findRelatedRecords({ type: 'person', id: person.id }, 'articles'));
  out.serverIds = {
    personRemoteId: person.keys?.remoteId ?? null,
    articleRemoteId: art.keys?.remoteId ?? null,
    authorOfArticle: keyMap.idToKey('person', 'remoteId', art.relationships?.author?.data?.id) ?? null,
    articlesOfPerson: byServer.map((r) => r.attributes.title),
  };
  return out;
});
