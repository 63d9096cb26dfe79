/** Parsing at the edge of the domain: task scripts, StartParam, JDBC URLs, partial script updates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskContentError, parseRealtimeTask, renderRealtimeTask, resolveReaderTables } from '../src/domain/task-content.ts';
import { StartParamError, parseStartParam, DEFAULT_START_PARAM } from '../src/domain/start-param.ts';
import { parseJdbcUrl } from '../src/domain/jdbc-url.ts';
import { redactContent, validateContent } from '../src/domain/data-source-content.ts';
import { mergeScript } from '../src/runtime/config-processor.ts';
import { FailoverBudget } from '../src/runtime/failover-budget.ts';

const script = (reader: object, writer: object = { stepType: 'postgresql', category: 'writer', parameter: { datasource: 'dst' } }) =>
  JSON.stringify({ type: 'realtime', version: '1.0', steps: [reader, writer] });

test('task scripts: tables by list or selectedTables, normalized to schema.table', () => {
  const a = parseRealtimeTask(script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 'src', table: ['orders', 'sales.items'] }] } }));
  assert.deepEqual(a.reader.tables, [{ schema: 'public', table: 'orders' }, { schema: 'sales', table: 'items' }]);
  assert.equal(a.writer.datasource, 'dst');
  const b = parseRealtimeTask(script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 'src',
    selectedTables: [{ dbName: 'app', schema: [{ schemaName: 's1', tableInfos: [{ table: 't1' }, { table: 't2', enable: false }] }] }] }] } }));
  assert.deepEqual(b.reader.tables, [{ schema: 's1', table: 't1' }]);
  const rendered = JSON.parse(renderRealtimeTask(a));
  assert.deepEqual(rendered.steps[0].parameter.connection, [{ datasourceType: 'postgresql', datasource: 'src', table: ['public.orders', 'sales.items'] }]);
  assert.deepEqual(parseRealtimeTask(renderRealtimeTask(a)).reader, a.reader);
});

test('task scripts: the cloud\'s TaskContent shape (type job, version 2.0, extend, order.hops) in and out; OpenDI setting kept', () => {
  // The SDK's QueryDISyncTaskConfigProcessResult TaskContent example, with engines OpenDI serves.
  const cloud = {
    extend: { mode: 'migration_holo', resourceGroup: '280749', name: 'h' }, type: 'job', version: '2.0', setting: { initialLoad: true, speed: { concurrent: 2 } },
    steps: [
      { stepType: 'mysql', name: 'reader', category: 'reader', parameter: { connection: [{ datasourceType: 'mysql', datasource: 'mm',
        selectedTables: [{ schema: [{ tableInfos: [{ enable: true, table: 'm_v1', tableName: 'm_v1' }] }], dbName: 'm' }] }] } },
      { stepType: 'postgresql', name: 'writer', category: 'writer', parameter: { datasource: 'h', writeMode: 'replay' } },
    ],
    order: { hops: [{ from: 'reader', to: 'writer' }] },
  };
  const def = parseRealtimeTask(JSON.stringify(cloud));
  assert.deepEqual(def.reader.tables, [{ schema: 'm', table: 'm_v1' }]);
  assert.equal(def.name, 'h');
  assert.equal(def.initialLoad, true);
  const out = JSON.parse(renderRealtimeTask(def));
  assert.equal(out.type, 'job');
  assert.equal(out.version, '2.0');
  assert.deepEqual(out.extend, { mode: 'migration_holo', resourceGroup: '280749', name: 'h' });
  assert.deepEqual(out.order, { hops: [{ from: 'reader', to: 'writer' }] });
  assert.deepEqual(out.setting, cloud.setting);
  assert.equal(out.steps[1].parameter.writeMode, 'replay');
  // The TaskParam shape comes out in the cloud's shape too, named from setting.name, hops by step names.
  const param = parseRealtimeTask(JSON.stringify({ type: 'realtime', version: '1.0', setting: { name: 'from_setting', resourceGroup: 'rg1' },
    steps: [{ stepType: 'postgresql', category: 'reader', name: 'Reader', parameter: { connection: [{ datasource: 's', table: ['t'] }] } }, { stepType: 'postgresql', category: 'writer', parameter: { datasource: 'd' } }] }));
  assert.equal(param.name, 'from_setting');
  const shaped = JSON.parse(renderRealtimeTask(param, { name: 'file_name' }));
  assert.deepEqual([shaped.type, shaped.version, shaped.extend], ['job', '2.0', { mode: 'wizard', resourceGroup: 'rg1', name: 'file_name' }]);
  assert.deepEqual(shaped.order.hops, [{ from: 'Reader', to: 'writer' }]);
  assert.deepEqual(parseRealtimeTask(JSON.stringify(shaped)).reader, param.reader);
});

test('task scripts: a MySQL table named without its database resolves against the data source\'s database', () => {
  const def = parseRealtimeTask(script({ stepType: 'mysql', category: 'reader', parameter: { connection: [{ datasource: 'src', table: ['orders', 'other.items'],
    selectedTables: [{ dbName: '', schema: [{ schemaName: '', tableInfos: [{ table: 'lines' }] }] }, { schema: [{ tableInfos: [{ table: 'notes' }] }] }] }] } }));
  assert.deepEqual(def.reader.tables, [{ schema: null, table: 'orders' }, { schema: 'other', table: 'items' }, { schema: null, table: 'lines' }, { schema: null, table: 'notes' }]);
  assert.deepEqual(resolveReaderTables(def, 'shop'), [{ schema: 'shop', table: 'orders' }, { schema: 'other', table: 'items' }, { schema: 'shop', table: 'lines' }, { schema: 'shop', table: 'notes' }]);
  // Kept as written until the data source is known; the same table twice is found once resolved.
  assert.deepEqual(JSON.parse(renderRealtimeTask(def)).steps[0].parameter.connection[0].table, ['orders', 'other.items', 'lines', 'notes']);
  const twice = parseRealtimeTask(script({ stepType: 'mysql', category: 'reader', parameter: { connection: [{ datasource: 'src', table: ['orders', 'shop.orders'] }] } }));
  assert.throws(() => resolveReaderTables(twice, 'shop'), /table shop.orders is selected twice/);
  assert.deepEqual(resolveReaderTables(twice, 'other'), [{ schema: 'other', table: 'orders' }, { schema: 'shop', table: 'orders' }]);
});

test('task scripts: each mistake is named', () => {
  const bad: [string, RegExp][] = [
    ['nope', /not valid JSON/],
    [JSON.stringify({ type: 'batch', steps: [] }), /type must be "job" \(version 2.0\) or "realtime"/],
    [JSON.stringify({ type: 'job', version: '3.0', steps: [] }), /version must be "2.0" or "1.0"/],
    [JSON.stringify({ type: 'job', version: '2.0', extend: { name: 5 }, steps: [{ stepType: 'mysql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['t'] }] } }, { stepType: 'mysql', category: 'writer', parameter: { datasource: 'd' } }] }), /extend.name must be a string/],
    [JSON.stringify({ type: 'job', order: { hops: [{ from: 'r', to: 'nowhere' }] }, steps: [{ stepType: 'mysql', name: 'r', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['t'] }] } }, { stepType: 'mysql', name: 'w', category: 'writer', parameter: { datasource: 'd' } }] }), /order.hops\[0\] names "nowhere"/],
    [script({ stepType: 'oracle', category: 'reader', parameter: {} }), /reader.stepType/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [] } }), /connection must be a non-empty array/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ table: ['t'] }] } }), /datasource is required/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['a;drop'] }] } }), /not a valid table name/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['t', 'public.t'] }] } }), /selected twice/],
    [script({ stepType: 'mysql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['a.b.c'] }] } }), /not a valid table name/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['t'] }] } }, { stepType: 'postgresql', category: 'writer', parameter: {} }), /writer.parameter.datasource/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['t'] }] } }, { stepType: 'mysql', category: 'writer', parameter: { datasource: 'd', schema: 'a b' } }), /writer.parameter.schema/],
    [JSON.stringify({ type: 'realtime', setting: { initialLoad: 'yes' }, steps: [{ stepType: 'mysql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['db.t'] }] } }, { stepType: 'mysql', category: 'writer', parameter: { datasource: 'd' } }] }), /setting.initialLoad must be true or false/],
  ];
  for (const [text, message] of bad) assert.throws(() => parseRealtimeTask(text), (e: unknown) => e instanceof TaskContentError && message.test(e.message), text);
});

test('StartParam: defaults, full example, and errors naming the path', () => {
  assert.deepEqual(parseStartParam(undefined), DEFAULT_START_PARAM);
  const p = parseStartParam('{"failoverLimit":{"count":10,"interval":30},"errorLimit":{"record":0},"ddlMarkMap":{"RENAMECOLUMN":"WARNING","DROPTABLE":"CRITICAL"}}');
  assert.deepEqual(p.failoverLimit, { count: 10, interval: 30 });
  assert.equal(p.ddlMarkMap.DROPTABLE, 'CRITICAL');
  assert.deepEqual(parseStartParam('{"startPosition":{"position":" file:mysql-bin.000002:330 "}}').startPosition, { position: 'file:mysql-bin.000002:330' });
  assert.deepEqual(parseStartParam('{"startPosition":{"timestamp":"2026-11-29 10:00:00"}}').startPosition, { timestamp: new Date('2026-11-29T10:00:00Z') });
  assert.deepEqual(parseStartParam('{"startPosition":{"timestamp":"2026-11-29T10:00:00+08:00"}}').startPosition, { timestamp: new Date('2026-11-29T02:00:00Z') });
  const cases: [string, string][] = [
    ['{', 'StartParam'], ['[]', 'StartParam'],
    ['{"failoverLimit":{"count":1}}', 'StartParam.failoverLimit.interval'],
    ['{"failoverLimit":{"count":1.5,"interval":1}}', 'StartParam.failoverLimit.count'],
    ['{"errorLimit":{"record":-1}}', 'StartParam.errorLimit.record'],
    ['{"errorLimit":{"record":1,"x":2}}', 'StartParam.errorLimit.x'],
    ['{"ddlMarkMap":{"ALTER":"NORMAL"}}', 'StartParam.ddlMarkMap.ALTER'],
    ['{"ddlMarkMap":{"DROPTABLE":"SOMETIMES"}}', 'StartParam.ddlMarkMap.DROPTABLE'],
    ['{"startPosition":{"position":""}}', 'StartParam.startPosition.position'],
    ['{"startPosition":{"timestamp":"yesterday"}}', 'StartParam.startPosition.timestamp'],
    ['{"startPosition":{"lsn":"0/1"}}', 'StartParam.startPosition.lsn'],
    ['{"startPosition":{"position":"a","timestamp":1}}', 'StartParam.startPosition'],
  ];
  for (const [text, path] of cases) assert.throws(() => parseStartParam(text), (e: unknown) => e instanceof StartParamError && e.path === path, text);
});

test('StartParam: unknown top-level keys are ignored and listed; errorLimit.record "" (or absent) is the default', () => {
  const p = parseStartParam('{"speed":{"concurrent":2},"jvmOption":"","errorLimit":{"record":""},"failoverLimit":{"count":3,"interval":5}}');
  assert.deepEqual(p.ignored, ['speed', 'jvmOption']);
  assert.equal(p.errorLimit.record, DEFAULT_START_PARAM.errorLimit.record);
  assert.deepEqual(p.failoverLimit, { count: 3, interval: 5 });
  assert.equal(parseStartParam('{"errorLimit":{}}').errorLimit.record, DEFAULT_START_PARAM.errorLimit.record);
  assert.equal(parseStartParam('{"errorLimit":{"record":"7","percentage":""}}').errorLimit.record, 7);
  assert.equal(parseStartParam('{"errorLimit":{"record":0}}').ignored, undefined);
});

test('JDBC URLs and data source content', () => {
  assert.deepEqual(parseJdbcUrl('jdbc:postgresql://db.local:6543/app?sslmode=disable'), { kind: 'postgresql', host: 'db.local', port: 6543, database: 'app', params: { sslmode: 'disable' } });
  assert.equal((parseJdbcUrl('jdbc:mysql://[::1]/shop') as { port: number }).port, 3306);
  assert.equal(typeof parseJdbcUrl('postgres://x/y'), 'string');
  assert.equal(typeof parseJdbcUrl('jdbc:postgresql://h:99999/db'), 'string');
  const ok = validateContent('postgresql', { jdbcUrl: 'jdbc:postgresql://h/db', username: 'u', password: 'p' });
  assert.equal(typeof ok, 'object');
  assert.match((validateContent('mysql', { jdbcUrl: 'jdbc:postgresql://h/db', username: 'u', password: 'p' }) as { reason: string }).reason, /postgresql URL/);
  assert.deepEqual(redactContent({ jdbcUrl: 'x', username: 'u', password: 'p' }), { jdbcUrl: 'x', username: 'u', password: '***' });
});

test('partial update scripts merge steps by category', () => {
  const base = JSON.parse(script({ stepType: 'postgresql', category: 'reader', name: 'Reader', parameter: { connection: [{ datasource: 'src', table: ['a'] }] } }));
  const merged = mergeScript(base, { steps: [{ category: 'reader', parameter: { connection: [{ table: ['b', 'c'] }] } }] }) as any;
  assert.deepEqual(merged.steps[0].parameter.connection, [{ datasource: 'src', table: ['b', 'c'] }]);
  assert.equal(merged.steps[1].parameter.datasource, 'dst');
});

test('failover budget: more than count restarts within the interval is refused', () => {
  const b = new FailoverBudget(2, 1);
  assert.equal(b.tryRestart(0), true);
  assert.equal(b.tryRestart(1000), true);
  assert.equal(b.tryRestart(2000), false);
  assert.equal(b.tryRestart(200_000), true, 'old restarts leave the window');
});

test('task scripts: setting.speed.concurrent (parallel apply lanes) is checked when the script is parsed, so a create or update refuses it', () => {
  const reader = { stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 'src', table: ['orders'] }] } };
  const withSetting = (setting: unknown) => {
    const s = JSON.parse(script(reader));
    s.setting = setting;
    return JSON.stringify(s);
  };
  assert.equal(parseRealtimeTask(script(reader)).lanes, 1, 'absent: one lane');
  assert.equal(parseRealtimeTask(withSetting({ speed: { concurrent: 4 } })).lanes, 4);
  assert.equal(parseRealtimeTask(withSetting({ speed: { concurrent: '16' } })).lanes, 16, 'a digit string, as DataWorks scripts write it');
  for (const bad of [0, 17, 2.5, 'two']) {
    assert.throws(() => parseRealtimeTask(withSetting({ speed: { concurrent: bad } })), (err: Error) => err instanceof TaskContentError && /setting\.speed\.concurrent must be a whole number from 1 to 16/.test(err.message), String(bad));
  }
  assert.throws(() => parseRealtimeTask(withSetting({ speed: 3 })), /setting\.speed must be an object/);
});
