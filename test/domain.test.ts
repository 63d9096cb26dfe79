/** Parsing at the edge of the domain: task scripts, StartParam, JDBC URLs, partial script updates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskContentError, parseRealtimeTask, renderRealtimeTask } from '../src/domain/task-content.ts';
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

test('task scripts: each mistake is named', () => {
  const bad: [string, RegExp][] = [
    ['nope', /not valid JSON/],
    [JSON.stringify({ type: 'job', steps: [] }), /type must be "realtime"/],
    [script({ stepType: 'oracle', category: 'reader', parameter: {} }), /reader.stepType/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [] } }), /connection must be a non-empty array/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ table: ['t'] }] } }), /datasource is required/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['a;drop'] }] } }), /not a valid table name/],
    [script({ stepType: 'postgresql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['t', 'public.t'] }] } }), /selected twice/],
    [script({ stepType: 'mysql', category: 'reader', parameter: { connection: [{ datasource: 's', table: ['t'] }] } }), /not a valid table name/],
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
    ['{', 'StartParam'], ['[]', 'StartParam'], ['{"speed":1}', 'StartParam.speed'],
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
