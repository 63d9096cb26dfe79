/**
 * CreateDIJob and UpdateDIJob parameters -> a validated JobDocument (README, "The 2024-05-18 DI
 * Job API"). Everything that can be checked without the databases is checked here: enums, JSON
 * strings, names, rule expressions, rule references, regexes. FileSpec supplies the fields the
 * structured parameters leave out. On Update, source, destination, JobType and MigrationType
 * cannot change; each field given replaces the stored one as a whole, fields not given stay (an
 * UNSURE point, decided so).
 */
import type { EngineKind } from '../jdbc-url.ts';
import {
  JobInputError, type DataSourceSetting, type JobDocument, type ResourceSettings, type TableMapping, type TransformationRule,
} from './job-document.ts';
import {
  BATCH_JOB_TYPES, BATCH_MIGRATION_TYPES, CLOUD_ONLY_DESTINATION_TYPES, CLOUD_ONLY_SOURCE_TYPES, DESTINATION_TYPES, REALTIME_JOB_TYPES,
  REALTIME_MIGRATION_TYPES, SOURCE_TYPES, findEndpointType, type EndpointType,
} from './job-types.ts';
import { parseFileSpec } from './file-spec.ts';
import { expectArray, expectEnum, expectObject, expectString, requireString, type Json } from './json-input.ts';
import { parseJobSettings } from './job-settings.ts';
import { mappingRules, parseTableMappings } from './table-mappings.ts';
import { parseTransformationRules } from './transformation-rules.ts';

/** Names of tasks and jobs: the task file name rules (src/actions/task-content-param.ts). */
const JOB_NAME = /^[A-Za-z0-9_\u4e00-\u9fa5][A-Za-z0-9_.\-\u4e00-\u9fa5]{0,127}$/;

const FILE_SPEC_FIELDS = [
  'Name', 'JobName', 'Description', 'JobType', 'MigrationType', 'SourceDataSourceType', 'DestinationDataSourceType', 'Owner',
  'SourceDataSourceSettings', 'DestinationDataSourceSettings', 'JobSettings', 'ResourceSettings', 'TableMappings', 'TransformationRules',
];

/** A field's value and the path that names it in errors (the parameter itself, or inside FileSpec). */
type Field = { value: unknown; path: string };

function fieldsOf(params: Json): (name: string) => Field {
  const spec = typeof params.FileSpec === 'string' && params.FileSpec.trim() !== '' ? parseFileSpec(params.FileSpec) : {};
  for (const k of Object.keys(spec)) {
    if (!FILE_SPEC_FIELDS.includes(k)) throw new JobInputError(`FileSpec.${k[0].toLowerCase()}${k.slice(1)}`, 'is not a known field of a job');
  }
  return (name) => (params[name] !== undefined && params[name] !== '' ? { value: params[name], path: name } : { value: spec[name], path: `FileSpec.${name}` });
}

export function parseCreateJob(params: Json, defaultOwner: string): JobDocument {
  const field = fieldsOf(params);
  const name = field('Name');
  const alias = field('JobName');
  if (name.value !== undefined && alias.value !== undefined && name.value !== alias.value) {
    throw new JobInputError(alias.path, `is a deprecated alias of Name and differs from it (${JSON.stringify(alias.value)} vs ${JSON.stringify(name.value)})`);
  }
  const named = name.value !== undefined ? name : alias.value !== undefined ? alias : { value: undefined, path: 'Name' };
  const jobName = requireString(named.value, named.path, 128);
  if (!JOB_NAME.test(jobName)) throw new JobInputError(named.path, 'must be 1-128 letters, digits, _ . or - (starting with a letter, digit or _)');

  const jobType = field('JobType');
  const migration = field('MigrationType');
  const sourceType = endpointType(field('SourceDataSourceType'), SOURCE_TYPES, CLOUD_ONLY_SOURCE_TYPES, 'source');
  const destType = endpointType(field('DestinationDataSourceType'), DESTINATION_TYPES, CLOUD_ONLY_DESTINATION_TYPES, 'destination');
  const doc: JobDocument = {
    Name: jobName,
    Description: optionalText(field('Description'), 3000),
    Owner: optionalText(field('Owner'), 64) || defaultOwner,
    JobType: jobType.value === undefined ? 'DatabaseRealtimeMigration' : realtimeEnum(jobType, REALTIME_JOB_TYPES, BATCH_JOB_TYPES, 'JobType'),
    MigrationType: realtimeEnum(migration, REALTIME_MIGRATION_TYPES, BATCH_MIGRATION_TYPES, 'MigrationType'),
    SourceDataSourceType: sourceType.name,
    DestinationDataSourceType: destType.name,
    SourceDataSourceSettings: dataSourceSettings(field('SourceDataSourceSettings'), true),
    DestinationDataSourceSettings: dataSourceSettings(field('DestinationDataSourceSettings'), false),
    ResourceSettings: resourceSettings(field('ResourceSettings')),
    JobSettings: parseJobSettings(field('JobSettings').value, field('JobSettings').path),
    TableMappings: [],
    TransformationRules: [],
  };
  return withRules(doc, field('TableMappings'), field('TransformationRules'), destType.protocol);
}

/** UpdateDIJob: the stored job with the given fields replaced. */
export function parseUpdateJob(params: Json, stored: JobDocument): JobDocument {
  const field = fieldsOf(params);
  for (const [name, current] of [
    ['SourceDataSourceType', stored.SourceDataSourceType], ['DestinationDataSourceType', stored.DestinationDataSourceType],
    ['JobType', stored.JobType], ['MigrationType', stored.MigrationType], ['Name', stored.Name], ['JobName', stored.Name],
  ] as const) {
    const f = field(name);
    if (f.value !== undefined && String(f.value).toLowerCase() !== current.toLowerCase()) {
      throw new JobInputError(f.path, `cannot be changed by UpdateDIJob (the job has ${JSON.stringify(current)}); create a new job instead`);
    }
  }
  for (const name of ['SourceDataSourceSettings', 'DestinationDataSourceSettings'] as const) {
    const f = field(name);
    if (f.value === undefined) continue;
    const given = dataSourceSettings(f, name === 'SourceDataSourceSettings');
    if (given[0].DataSourceName !== stored[name][0].DataSourceName) {
      throw new JobInputError(`${f.path}[0].DataSourceName`, `cannot be changed by UpdateDIJob (the job uses ${stored[name][0].DataSourceName})`);
    }
  }
  const destination = findEndpointType(DESTINATION_TYPES, stored.DestinationDataSourceType)!.protocol;
  const replaced = (name: string) => field(name).value !== undefined;
  const doc: JobDocument = {
    ...stored,
    Description: replaced('Description') ? optionalText(field('Description'), 3000) : stored.Description,
    Owner: replaced('Owner') ? optionalText(field('Owner'), 64) || stored.Owner : stored.Owner,
    ResourceSettings: replaced('ResourceSettings') ? resourceSettings(field('ResourceSettings')) : stored.ResourceSettings,
    JobSettings: replaced('JobSettings') ? parseJobSettings(field('JobSettings').value, field('JobSettings').path) : stored.JobSettings,
  };
  const mappings = replaced('TableMappings') ? field('TableMappings') : { value: stored.TableMappings, path: 'TableMappings' };
  const rules = replaced('TransformationRules') ? field('TransformationRules') : { value: stored.TransformationRules, path: 'TransformationRules' };
  return withRules(doc, mappings, rules, destination);
}

/** Validates rules and mappings together (references, conflicts). */
function withRules(doc: JobDocument, mappings: Field, rules: Field, destination: EngineKind): JobDocument {
  const parsedRules = parseTransformationRules(rules.value, rules.path, destination);
  const parsedMappings: TableMapping[] = parseTableMappings(mappings.value ?? missing(mappings.path), mappings.path, parsedRules.rules);
  mappingRules(parsedMappings, parsedRules.parsed, mappings.path, destination);
  return { ...doc, TableMappings: parsedMappings, TransformationRules: parsedRules.rules as TransformationRule[] };
}

function missing(path: string): never {
  throw new JobInputError(path, 'is required');
}

function endpointType(f: Field, served: readonly EndpointType[], cloudOnly: string[], role: string): EndpointType {
  const name = requireString(f.value, f.path);
  const found = findEndpointType(served, name);
  if (found) return found;
  const known = cloudOnly.find((c) => c.toLowerCase() === name.toLowerCase());
  throw new JobInputError(f.path, `${known ? `${known} is not supported as a ${role} by this engine` : `${JSON.stringify(name)} is not a ${role} type`}; `
    + `supported: ${served.map((t) => t.name).join(', ')}`);
}

function realtimeEnum<T extends string>(f: Field, realtime: readonly T[], batch: readonly string[], what: string): T {
  const s = requireString(f.value, f.path);
  const b = batch.find((x) => x.toLowerCase() === s.toLowerCase());
  if (b) throw new JobInputError(f.path, `${b} is a batch ${what}, and batch jobs are not supported; use ${realtime.join(' or ')}`);
  return expectEnum(s, f.path, realtime);
}

function optionalText(f: Field, max: number): string {
  return expectString(f.value, f.path, { optional: true, max }) ?? '';
}

function dataSourceSettings(f: Field, isSource: boolean): DataSourceSetting[] {
  const list = expectArray(f.value ?? missing(f.path), f.path, { min: 1 });
  if (list.length > 1) throw new JobInputError(f.path, `holds ${list.length} data sources; a job reads one ${isSource ? 'source' : 'destination'} data source`);
  const o = expectObject(list[0], `${f.path}[0]`, ['DataSourceName', 'DataSourceProperties']);
  const out: DataSourceSetting = { DataSourceName: requireString(o.DataSourceName, `${f.path}[0].DataSourceName`, 255) };
  if (o.DataSourceProperties !== undefined) {
    const p = `${f.path}[0].DataSourceProperties`;
    const props = expectObject(o.DataSourceProperties, p, ['Encoding', 'Timezone', 'ConnectionProperties']);
    if (props.ConnectionProperties !== undefined && props.ConnectionProperties !== '') {
      throw new JobInputError(`${p}.ConnectionProperties`, 'is not supported (instance mode): name a data source by DataSourceName instead');
    }
    const encoding = expectString(props.Encoding, `${p}.Encoding`, { optional: true, max: 64 });
    const timezone = expectString(props.Timezone, `${p}.Timezone`, { optional: true, max: 64 });
    if (isSource && (encoding !== undefined || timezone !== undefined)) {
      out.DataSourceProperties = { ...(encoding !== undefined ? { Encoding: encoding } : {}), ...(timezone !== undefined ? { Timezone: timezone } : {}) };
    }
  }
  return [out];
}

function resourceSettings(f: Field): ResourceSettings {
  if (f.value === undefined) return {};
  const o = expectObject(f.value, f.path, ['OfflineResourceSettings', 'RealtimeResourceSettings', 'ScheduleResourceSettings']);
  const out: ResourceSettings = {};
  for (const k of ['OfflineResourceSettings', 'RealtimeResourceSettings', 'ScheduleResourceSettings'] as const) {
    if (o[k] === undefined) continue;
    const p = `${f.path}.${k}`;
    const r = expectObject(o[k], p, ['RequestedCu', 'ResourceGroupIdentifier']);
    const cu = r.RequestedCu === undefined ? undefined : Number(r.RequestedCu);
    if (cu !== undefined && !(Number.isFinite(cu) && cu > 0)) throw new JobInputError(`${p}.RequestedCu`, 'must be a positive number');
    const group = expectString(r.ResourceGroupIdentifier, `${p}.ResourceGroupIdentifier`, { optional: true, max: 128 });
    out[k] = { ...(cu !== undefined ? { RequestedCu: cu } : {}), ...(group !== undefined ? { ResourceGroupIdentifier: group } : {}) };
  }
  return out;
}
