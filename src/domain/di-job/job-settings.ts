/**
 * JobSettings of a DI job (README, "The 2024-05-18 DI Job API") and what they mean to the engine:
 * DdlHandlingSettings are the 2020 ddlMarkMap by the 2024 names; the failover RuntimeSettings
 * are the failover limit; `runtime.enable.auto.create.schema` lets the job create missing target
 * schemas (MySQL: databases); ColumnDataTypeSettings override column types of the target tables
 * the job creates; `runtime.realtime.concurrent` is the number of parallel apply lanes
 * (docs/target-checkpoint.md "Lanes"). Other RuntimeSettings, ChannelSettings and
 * CycleScheduleSettings are validated, stored and returned, with no effect on the engine.
 */
import type { DdlMark, DdlType } from '../start-param.ts';
import { MAX_LANES } from '../max-lanes.ts';
import { JobInputError, type JobSettings } from './job-document.ts';
import {
  expectArray, expectEnum, expectObject, expectString, isObject, parseJsonText, rejectDuplicates, requireString, wholeNumber,
} from './json-input.ts';

export const DDL_HANDLING_TYPES: Readonly<Record<string, DdlType>> = {
  AddColumn: 'ADDCOLUMN', DropColumn: 'DROPCOLUMN', RenameColumn: 'RENAMECOLUMN', ModifyColumn: 'MODIFYCOLUMN',
  CreateTable: 'CREATETABLE', DropTable: 'DROPTABLE', TruncateTable: 'TRUNCATETABLE',
};
export const DDL_HANDLING_ACTIONS: Readonly<Record<string, DdlMark>> = { Normal: 'NORMAL', Ignore: 'IGNORE', Critical: 'CRITICAL' };

export const RUNTIME = {
  failoverTimes: 'runtime.realtime.failover.times.dataxcdc',
  failoverMinutes: 'runtime.realtime.failover.minute.dataxcdc',
  autoCreateSchema: 'runtime.enable.auto.create.schema',
  concurrent: 'runtime.realtime.concurrent',
} as const;

/** A type the job may write into CREATE TABLE: a name with one optional (n) or (p,s); nothing that could end the statement. */
const SAFE_TYPE = /^[A-Za-z][A-Za-z0-9_ ]{0,40}(\(\s*\d{1,5}\s*(,\s*\d{1,5}\s*)?\))?([A-Za-z0-9_ ]{0,40})(\[\])?$/;

const FIELDS = ['ChannelSettings', 'ColumnDataTypeSettings', 'CycleScheduleSettings', 'DdlHandlingSettings', 'RuntimeSettings'];

export function parseJobSettings(v: unknown, path: string): JobSettings {
  if (v === undefined) return {};
  const o = expectObject(v, path, FIELDS);
  const out: JobSettings = {};
  if (o.ChannelSettings !== undefined && o.ChannelSettings !== '') {
    const parsed = parseJsonText(o.ChannelSettings, `${path}.ChannelSettings`);
    if (!isObject(parsed)) throw new JobInputError(`${path}.ChannelSettings`, 'must hold a JSON object');
    out.ChannelSettings = typeof o.ChannelSettings === 'string' ? o.ChannelSettings : JSON.stringify(parsed);
  }
  if (o.ColumnDataTypeSettings !== undefined) {
    out.ColumnDataTypeSettings = expectArray(o.ColumnDataTypeSettings, `${path}.ColumnDataTypeSettings`, { max: 200 }).map((item, i) => {
      const p = `${path}.ColumnDataTypeSettings[${i}]`;
      const s = expectObject(item, p, ['SourceDataType', 'DestinationDataType']);
      const destination = requireString(s.DestinationDataType, `${p}.DestinationDataType`, 100).trim();
      if (!SAFE_TYPE.test(destination)) {
        throw new JobInputError(`${p}.DestinationDataType`, `${JSON.stringify(destination)} is not a column type (a type name with an optional (length) or (precision,scale))`);
      }
      return { SourceDataType: requireString(s.SourceDataType, `${p}.SourceDataType`, 100).trim(), DestinationDataType: destination };
    });
    rejectDuplicates(out.ColumnDataTypeSettings, (s) => s.SourceDataType.toLowerCase(), (i) => `${path}.ColumnDataTypeSettings[${i}].SourceDataType`, 'the SourceDataType');
  }
  if (o.CycleScheduleSettings !== undefined) {
    const c = expectObject(o.CycleScheduleSettings, `${path}.CycleScheduleSettings`, ['CycleMigrationType', 'ScheduleParameters']);
    out.CycleScheduleSettings = {};
    if (c.CycleMigrationType !== undefined) {
      out.CycleScheduleSettings.CycleMigrationType = expectEnum(c.CycleMigrationType, `${path}.CycleScheduleSettings.CycleMigrationType`, ['Full', 'OfflineIncremental'] as const);
    }
    const params = expectString(c.ScheduleParameters, `${path}.CycleScheduleSettings.ScheduleParameters`, { optional: true, max: 2000 });
    if (params !== undefined) out.CycleScheduleSettings.ScheduleParameters = params;
  }
  if (o.DdlHandlingSettings !== undefined) {
    out.DdlHandlingSettings = expectArray(o.DdlHandlingSettings, `${path}.DdlHandlingSettings`, { max: 20 }).map((item, i) => {
      const p = `${path}.DdlHandlingSettings[${i}]`;
      const d = expectObject(item, p, ['Type', 'Action']);
      return {
        Type: expectEnum(d.Type, `${p}.Type`, Object.keys(DDL_HANDLING_TYPES)),
        Action: expectEnum(d.Action, `${p}.Action`, Object.keys(DDL_HANDLING_ACTIONS)),
      };
    });
    rejectDuplicates(out.DdlHandlingSettings, (d) => d.Type, (i) => `${path}.DdlHandlingSettings[${i}].Type`, 'the Type');
  }
  if (o.RuntimeSettings !== undefined) {
    out.RuntimeSettings = expectArray(o.RuntimeSettings, `${path}.RuntimeSettings`, { max: 100 }).map((item, i) => {
      const p = `${path}.RuntimeSettings[${i}]`;
      const r = expectObject(item, p, ['Name', 'Value']);
      const name = requireString(r.Name, `${p}.Name`, 200);
      const value = expectString(r.Value, `${p}.Value`, { max: 2000, nonEmpty: false })!;
      checkRuntimeValue(name, value, `${p}.Value`);
      return { Name: name, Value: value };
    });
    rejectDuplicates(out.RuntimeSettings, (r) => r.Name, (i) => `${path}.RuntimeSettings[${i}].Name`, 'the Name');
  }
  return out;
}

function checkRuntimeValue(name: string, value: string, path: string): void {
  switch (name) {
    case RUNTIME.failoverTimes: wholeNumber(value, path, 0); break;
    case RUNTIME.failoverMinutes: wholeNumber(value, path, 1); break;
    case RUNTIME.concurrent:
      wholeNumber(value, path, 1);
      if (Number(value) > MAX_LANES) throw new JobInputError(path, `must be at most ${MAX_LANES} (parallel apply lanes, each one target connection)`);
      break;
    case RUNTIME.autoCreateSchema:
      if (!/^(true|false)$/i.test(value.trim())) throw new JobInputError(path, 'must be true or false');
      break;
  }
}

export { MAX_LANES };

/** What the engine takes from JobSettings. */
export interface JobEngineSettings {
  ddlMarkMap: Partial<Record<DdlType, DdlMark>>;
  /** Present when either failover RuntimeSetting is set; the other takes the 2020 default. */
  failoverLimit: { count: number; interval: number } | null;
  autoCreateSchema: boolean;
  typeOverrides: { source: string; destination: string }[];
  /** runtime.realtime.concurrent: parallel apply lanes (1: transactions stay whole). */
  lanes: number;
}

export function engineSettings(s: JobSettings, defaults: { count: number; interval: number }): JobEngineSettings {
  const runtime = new Map((s.RuntimeSettings ?? []).map((r) => [r.Name, r.Value.trim()]));
  const times = runtime.get(RUNTIME.failoverTimes);
  const minutes = runtime.get(RUNTIME.failoverMinutes);
  return {
    ddlMarkMap: Object.fromEntries((s.DdlHandlingSettings ?? []).map((d) => [DDL_HANDLING_TYPES[d.Type], DDL_HANDLING_ACTIONS[d.Action]])),
    failoverLimit: times === undefined && minutes === undefined ? null
      : { count: times === undefined ? defaults.count : Number(times), interval: minutes === undefined ? defaults.interval : Number(minutes) },
    autoCreateSchema: (runtime.get(RUNTIME.autoCreateSchema) ?? 'true').toLowerCase() === 'true',
    typeOverrides: (s.ColumnDataTypeSettings ?? []).map((c) => ({ source: c.SourceDataType, destination: c.DestinationDataType })),
    lanes: Math.min(MAX_LANES, Number(runtime.get(RUNTIME.concurrent) ?? 1)),
  };
}
