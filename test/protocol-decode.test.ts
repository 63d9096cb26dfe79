/** Spec-driven parameter decoding and the action registry, without HTTP (docs/design.md sections 3 and 6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeParams } from '../src/protocol/decode-params.ts';
import { ApiError } from '../src/protocol/errors.ts';
import { loadOperationSpecs, type OperationSpec } from '../src/protocol/operation-spec.ts';
import { createActionRegistry } from '../src/protocol/action-registry.ts';

const specs = loadOperationSpecs();
const op = (action: string, version = '2020-05-18'): OperationSpec => specs.get(version)!.get(action)!;

function invalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, 'Param.Invalid');
    assert.equal(e.httpStatus, 400);
    assert.match(e.message, message);
    return true;
  });
}

test('numbers are integers (digits, optional minus, safe), booleans true/false, strings as sent', () => {
  const getProject = op('GetProject');
  assert.deepEqual(decodeParams(getProject, { ProjectId: '10000' }, {}), { ProjectId: 10000 });
  assert.deepEqual(decodeParams(getProject, {}, { ProjectId: '-3', ProjectIdentifier: ' a b ' }), { ProjectId: -3, ProjectIdentifier: ' a b ' });
  for (const bad of ['abc', '1.5', '1e3', '0x10', ' 1', '+1', '9007199254740992']) {
    invalid(() => decodeParams(getProject, { ProjectId: bad }, {}), /^ProjectId must be an integer\.$/);
  }
  // An empty optional number is absent; an empty required one is missing.
  assert.deepEqual(decodeParams(getProject, { ProjectId: '' }, {}), {});
  invalid(() => decodeParams(op('StopDISyncInstance'), { ProjectId: '', TaskType: 'DI_REALTIME', FileId: '1' }, {}), /^ProjectId is mandatory for this action\.$/);
  const createProject = op('CreateProject');
  assert.equal(decodeParams(createProject, { ProjectName: 'p', ProjectIdentifier: 'p', DisableDevelopment: 'TRUE' }, {}).DisableDevelopment, true);
  invalid(() => decodeParams(createProject, { ProjectName: 'p', ProjectIdentifier: 'p', DisableDevelopment: 'yes' }, {}), /^DisableDevelopment must be true or false/);
});

test('RPC common parameters are not the action\'s; unknown top-level names (prototype names too) are ignored and reported; unknown nested names are Param.Invalid', () => {
  const getProject = op('GetProject');
  const common = { Action: 'GetProject', Version: '2020-05-18', Format: 'json', Timestamp: 't', SignatureNonce: 'n', SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', AccessKeyId: 'ak', Signature: 's', RegionId: 'cn' };
  assert.deepEqual(decodeParams(getProject, { ...common, ProjectId: '1' }, {}), { ProjectId: 1 });
  for (const name of ['Bogus', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'Bogus.1.Key']) {
    const query: Record<string, string> = { ProjectId: '7' };
    Object.defineProperty(query, name, { value: '1', enumerable: true });
    const ignored: string[] = [];
    const out = decodeParams(getProject, query, {}, (n) => ignored.push(n));
    assert.deepEqual(ignored, [name]);
    assert.equal(Object.getPrototypeOf(out), Object.prototype, name);
    assert.deepEqual(Object.keys(out), ['ProjectId']);
  }
  invalid(() => decodeParams(getProject, { 'ProjectId.1': '1' }, {}), /^ProjectId\.1 is not a parameter of GetProject \(2020-05-18\)/);
  invalid(() => decodeParams(op('ListProjects'), { 'Tags.1.Colour': 'x' }, {}), /^Tags\.1\.Colour is not a known field/);
  invalid(() => decodeParams(getProject, { ProjectId: '1' }, { ProjectId: '1' }), /^ProjectId appears both in the query string and in the form body/);
});

test('nested parameters: one JSON string or flattened 1-based names give the same typed value', () => {
  const listProjects = op('ListProjects');
  const tags = [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }];
  assert.deepEqual(decodeParams(listProjects, { Tags: JSON.stringify(tags) }, {}), { Tags: tags });
  assert.deepEqual(decodeParams(listProjects, {}, { 'Tags.2.Key': 'b', 'Tags.1.Key': 'a', 'Tags.1.Value': '1', 'Tags.2.Value': '2' }), { Tags: tags });
  invalid(() => decodeParams(listProjects, { Tags: '[]', 'Tags.1.Key': 'a' }, {}), /^Tags is sent both as one value and flattened/);
  invalid(() => decodeParams(listProjects, { 'Tags.0.Key': 'a' }, {}), /^Tags\.0 is not a valid list index/);
  invalid(() => decodeParams(listProjects, { 'Tags.1': 'x', 'Tags.1.Key': 'a' }, {}), /conflicts/);
  invalid(() => decodeParams(listProjects, { 'Tags.1.__proto__': 'x' }, {}), /^Tags\.1\.__proto__ is not a known field/);
  invalid(() => decodeParams(listProjects, { Tags: '{"Key":"a"}' }, {}), /^Tags must be a list/);
  // Inside a JSON string the path is JSON style, 0-based; flattened, the wire name (1-based).
  invalid(() => decodeParams(listProjects, { Tags: '[{"Key":{"x":1}}]' }, {}), /^Tags\[0\]\.Key must be a string/);
  invalid(() => decodeParams(listProjects, { 'Tags.1.Key': 'a', 'Tags.1.Value': 'b', 'Tags.2.Nope': 'c' }, {}), /^Tags\.2\.Nope is not a known field/);
  // Required nested fields (CreateProject Tags need Key and Value).
  invalid(() => decodeParams(op('CreateProject'), { ProjectName: 'p', ProjectIdentifier: 'p', 'Tags.1.Key': 'k' }, {}), /^Tags\.1\.Value is mandatory for this action/);
});

test('nested scalars are typed from flattened text; string lists accept JSON, flattened or comma-separated', () => {
  const alarm = op('CreateDIAlarmRule');
  const flat = {
    DIJobId: '7', MetricType: 'Heartbeat', Enabled: 'false',
    'NotificationSettings.InhibitionInterval': '5',
    'NotificationSettings.NotificationChannels.1.Severity': 'Warning',
    'NotificationSettings.NotificationChannels.1.Channels.1': 'Mail',
    'NotificationSettings.NotificationChannels.1.Channels.2': 'Sms',
    'NotificationSettings.NotificationReceivers.1.ReceiverType': 'DingToken',
    'NotificationSettings.NotificationReceivers.1.ReceiverValues.1': 'token',
    'TriggerConditions.1.Duration': '15', 'TriggerConditions.1.Severity': 'Warning', 'TriggerConditions.1.Threshold': '5',
  };
  const expected = {
    DIJobId: 7, MetricType: 'Heartbeat', Enabled: false,
    NotificationSettings: {
      InhibitionInterval: 5,
      NotificationChannels: [{ Severity: 'Warning', Channels: ['Mail', 'Sms'] }],
      NotificationReceivers: [{ ReceiverType: 'DingToken', ReceiverValues: ['token'] }],
    },
    TriggerConditions: [{ Duration: 15, Severity: 'Warning', Threshold: 5 }],
  };
  assert.deepEqual(decodeParams(alarm, {}, flat), expected);
  const json = {
    DIJobId: '7', MetricType: 'Heartbeat', Enabled: 'false',
    NotificationSettings: JSON.stringify(expected.NotificationSettings), TriggerConditions: JSON.stringify(expected.TriggerConditions),
  };
  assert.deepEqual(decodeParams(alarm, {}, json), expected);
  invalid(() => decodeParams(alarm, {}, { ...flat, 'TriggerConditions.1.Duration': 'soon' }), /^TriggerConditions\.1\.Duration must be a number/);
  invalid(() => decodeParams(alarm, {}, { DIJobId: '7', MetricType: 'Heartbeat', TriggerConditions: '[]' }), /^NotificationSettings is mandatory/);

  const listDataSources = op('ListDataSources', '2024-05-18');
  const variants: Record<string, string>[] = [{ Types: '["mysql","postgresql"]' }, { 'Types.1': 'mysql', 'Types.2': 'postgresql' }, { Types: 'mysql,postgresql' }];
  for (const types of variants) {
    assert.deepEqual(decodeParams(listDataSources, { ProjectId: '1', ...types }, {}), { ProjectId: 1, Types: ['mysql', 'postgresql'] });
  }
});

test('registry: only spec actions register; unknown version lists the served ones; unknown action is 404', () => {
  const registry = createActionRegistry(specs);
  const handler = async () => ({});
  registry.register('2020-05-18', 'GetProject', handler);
  // Both are type errors too (src/generated/params.ts); the run-time check guards untyped callers.
  // @ts-expect-error NoSuchAction is not an operation of the spec
  assert.throws(() => registry.register('2020-05-18', 'NoSuchAction', handler), /not in spec/);
  // @ts-expect-error 2019-01-01 is not a version of the spec
  assert.throws(() => registry.register('2019-01-01', 'GetProject', handler), /not in spec/);
  assert.throws(() => registry.register('2020-05-18', 'GetProject', handler), /twice/);
  assert.equal(registry.resolve('2020-05-18', 'GetProject').handler, handler);
  assert.equal(registry.resolve('2020-05-18', 'GetProject').spec.action, 'GetProject');
  assert.throws(() => registry.resolve('2024-05-18', 'GetDIJob'), (e: unknown) =>
    e instanceof ApiError && e.code === 'InvalidVersion' && e.httpStatus === 400 && /2024-05-18.*supported versions: 2020-05-18/.test(e.message));
  assert.throws(() => registry.resolve('2020-05-18', 'StopDISyncInstance'), (e: unknown) =>
    e instanceof ApiError && e.code === 'InvalidAction.NotFound' && e.httpStatus === 404 && /StopDISyncInstance/.test(e.message));
  assert.throws(() => registry.resolve('2020-05-18', 'toString'), (e: unknown) => e instanceof ApiError && e.code === 'InvalidAction.NotFound');
});
