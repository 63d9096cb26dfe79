/**
 * TransformationRules of a DI job (README, "The 2024-05-18 DI Job API"): each rule's RuleExpression
 * (a JSON string) is parsed and checked here, at Create/Update, so a rule the engine cannot
 * honour is a 400 naming its place, never silently ignored. The batch-only rule types
 * (DefineCycleScheduleSettings, DefinePartitionKey) and FileSpec's SourceSchema,
 * DefineDstTableSettings and ColumnMapping are refused for the same reason.
 */
import type { EngineKind } from '../jdbc-url.ts';
import { ConditionSyntaxError, parseCondition, type Condition } from '../../engine/transform/condition-syntax.ts';
import { checkNameTemplate } from '../../engine/transform/target-naming.ts';
import {
  COLUMN_VARIABLES, type AddedColumn, type ColumnVariable, type DmlPolicy, type DmlType,
} from '../../engine/transform/table-rules.ts';
import {
  JobInputError, RULE_ACTION_TYPES, RULE_TARGET_TYPES, type RuleActionType, type RuleTargetType, type TransformationRule,
} from './job-document.ts';
import {
  expectArray, expectEnum, expectObject, parseJsonText, rejectDuplicates, requireString, type Json,
} from './json-input.ts';

export type ParsedRule =
  | { type: 'Rename'; target: RuleTargetType; template: string }
  | { type: 'AddColumn'; columns: AddedColumn[] }
  | { type: 'DefinePrimaryKey'; columns: string[] }
  | { type: 'HandleDml'; policies: Partial<Record<DmlType, DmlPolicy>> }
  | { type: 'DefineIncrementalCondition'; condition: Condition; text: string };

const UNSUPPORTED_RULES: Record<string, string> = {
  DefineCycleScheduleSettings: 'it schedules batch runs, and this engine runs real-time jobs only',
  DefinePartitionKey: 'the PostgreSQL and MySQL targets are not partitioned by the job',
  SourceSchema: 'it is not supported by this engine', DefineDstTableSettings: 'it is not supported by this engine',
  ColumnMapping: 'it is not supported by this engine',
};

export const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,63}$/;

/** A rule's identity as TableMappings refer to it. */
export const ruleKey = (r: { RuleName: string; RuleActionType: string; RuleTargetType: string }) =>
  `${r.RuleActionType}\u0000${r.RuleTargetType}\u0000${r.RuleName}`;

export function parseTransformationRules(v: unknown, path: string, destination: EngineKind): { rules: TransformationRule[]; parsed: Map<string, ParsedRule> } {
  const list = v === undefined ? [] : expectArray(v, path);
  const rules: TransformationRule[] = [];
  const parsed = new Map<string, ParsedRule>();
  list.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const o = expectObject(item, p, ['RuleName', 'RuleActionType', 'RuleTargetType', 'RuleExpression']);
    const name = requireString(o.RuleName, `${p}.RuleName`, 50);
    const rawType = requireString(o.RuleActionType, `${p}.RuleActionType`);
    const unsupported = Object.keys(UNSUPPORTED_RULES).find((k) => k.toLowerCase() === rawType.toLowerCase());
    if (unsupported) throw new JobInputError(`${p}.RuleActionType`, `${unsupported} is not supported: ${UNSUPPORTED_RULES[unsupported]}`);
    const type = expectEnum(rawType, `${p}.RuleActionType`, RULE_ACTION_TYPES);
    const target = expectEnum(o.RuleTargetType, `${p}.RuleTargetType`, RULE_TARGET_TYPES);
    const expression = parseJsonText(o.RuleExpression ?? '{}', `${p}.RuleExpression`);
    const rule = parseRule(type, target, expression, `${p}.RuleExpression`, destination, `${p}.RuleTargetType`);
    const text = typeof o.RuleExpression === 'string' ? o.RuleExpression : JSON.stringify(o.RuleExpression ?? {});
    rules.push({ RuleName: name, RuleActionType: type, RuleTargetType: target, RuleExpression: text });
    parsed.set(ruleKey(rules[i]), rule);
  });
  rejectDuplicates(rules, ruleKey, (i) => `${path}[${i}].RuleName`, 'the RuleName (with the same RuleActionType and RuleTargetType)');
  return { rules, parsed };
}

function parseRule(type: RuleActionType, target: RuleTargetType, expr: unknown, path: string, destination: EngineKind, targetPath: string): ParsedRule {
  if (type !== 'Rename' && target !== 'Table') {
    throw new JobInputError(targetPath, `must be Table for a ${type} rule (it applies to the tables of the mappings that use it)`);
  }
  switch (type) {
    case 'Rename': {
      if (target === 'Database' && destination === 'postgresql') {
        throw new JobInputError(targetPath, 'Database cannot be renamed on a PostgreSQL destination: tables go into the destination data source\'s database; rename the Schema instead');
      }
      const o = expectObject(expr, path, ['expression']);
      const template = requireString(o.expression, `${path}.expression`, 200);
      const problem = checkNameTemplate(template);
      if (problem) throw new JobInputError(`${path}.expression`, problem);
      return { type, target, template };
    }
    case 'AddColumn': {
      const o = expectObject(expr, path, ['columns']);
      const cols = expectArray(o.columns, `${path}.columns`, { min: 1, max: 100 }).map((c, i) => parseAddedColumn(c, `${path}.columns[${i}]`));
      rejectDuplicates(cols, (c) => c.name.toLowerCase(), (i) => `${path}.columns[${i}].columnName`, 'the columnName');
      return { type, columns: cols };
    }
    case 'DefinePrimaryKey': {
      const o = expectObject(expr, path, ['columns']);
      const cols = expectArray(o.columns, `${path}.columns`, { min: 1, max: 32 }).map((c, i) => columnName(c, `${path}.columns[${i}]`));
      rejectDuplicates(cols, (c) => c.toLowerCase(), (i) => `${path}.columns[${i}]`, 'the column');
      return { type, columns: cols };
    }
    case 'HandleDml': {
      const o = expectObject(expr, path, ['dmlPolicies']);
      const list = expectArray(o.dmlPolicies, `${path}.dmlPolicies`, { min: 1, max: 3 });
      const policies: Partial<Record<DmlType, DmlPolicy>> = {};
      list.forEach((item, i) => {
        const p = `${path}.dmlPolicies[${i}]`;
        const d = expectObject(item, p, ['dmlType', 'dmlAction', 'filterCondition']);
        const dmlType = expectEnum(d.dmlType, `${p}.dmlType`, ['Insert', 'Update', 'Delete'] as const);
        if (policies[dmlType]) throw new JobInputError(`${p}.dmlType`, `repeats ${dmlType}; give one policy per DML type`);
        const action = expectEnum(d.dmlAction, `${p}.dmlAction`, ['Normal', 'Ignore', 'Filter', 'LogicalDelete'] as const);
        if (action === 'LogicalDelete' && dmlType !== 'Delete') throw new JobInputError(`${p}.dmlAction`, 'LogicalDelete applies to Delete only');
        if (action !== 'Filter' && d.filterCondition !== undefined && d.filterCondition !== '') {
          throw new JobInputError(`${p}.filterCondition`, `is only used with dmlAction Filter (this policy is ${action})`);
        }
        policies[dmlType] = action === 'Filter'
          ? { action, ...condition(d.filterCondition, `${p}.filterCondition`) }
          : { action } as DmlPolicy;
      });
      return { type, policies };
    }
    case 'DefineIncrementalCondition': {
      const o = expectObject(expr, path, ['where']);
      return { type, ...condition(o.where, `${path}.where`) };
    }
  }
}

function parseAddedColumn(v: unknown, path: string): AddedColumn {
  const o = expectObject(v, path, ['columnName', 'columnValueType', 'columnValue']);
  const name = columnName(o.columnName, `${path}.columnName`);
  const kind = expectEnum(o.columnValueType, `${path}.columnValueType`, ['Constant', 'Variable'] as const);
  if (kind === 'Variable') {
    return { name, value: { variable: expectEnum(o.columnValue, `${path}.columnValue`, COLUMN_VARIABLES) as ColumnVariable } };
  }
  if (typeof o.columnValue !== 'string' && typeof o.columnValue !== 'number' && typeof o.columnValue !== 'boolean') {
    throw new JobInputError(`${path}.columnValue`, 'must be the constant, as a string');
  }
  const constant = String(o.columnValue);
  if (constant.length > 4000) throw new JobInputError(`${path}.columnValue`, 'is longer than 4000 characters');
  return { name, value: { constant } };
}

function columnName(v: unknown, path: string): string {
  const s = requireString(v, path);
  if (!COLUMN_NAME.test(s)) throw new JobInputError(path, `${JSON.stringify(s)} is not a usable column name (a letter or _, then up to 63 letters, digits, _ or $)`);
  return s;
}

function condition(v: unknown, path: string): { condition: Condition; text: string } {
  const text = requireString(v, path, 4000);
  try {
    return { condition: parseCondition(text), text };
  } catch (err) {
    if (err instanceof ConditionSyntaxError) throw new JobInputError(path, `is not a valid condition: ${err.message}`);
    throw err;
  }
}

export type { Json };
