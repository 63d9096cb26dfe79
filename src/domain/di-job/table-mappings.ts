/**
 * TableMappings of a DI job (README, "The 2024-05-18 DI Job API"): which source tables the job syncs
 * and which transformation rules each gets. The documented alias `TransformationRuleNames` is
 * accepted for a mapping's rule references. A reference must name a top-level rule by RuleName,
 * RuleActionType and RuleTargetType. Regexes are compiled here, so a bad one is a 400 at
 * Create/Update.
 */
import type { EngineKind } from '../jdbc-url.ts';
import { NO_RULES, type DmlPolicy, type TableRules } from '../../engine/transform/table-rules.ts';
import { JobInputError, type RuleRef, type SelectionRule, type TableMapping } from './job-document.ts';
import { expectArray, expectEnum, expectObject, rejectDuplicates, requireString } from './json-input.ts';
import { ruleKey, type ParsedRule } from './transformation-rules.ts';
import { RULE_ACTION_TYPES, RULE_TARGET_TYPES } from './job-document.ts';

const OBJECT_TYPES = ['Datasource', 'Database', 'Schema', 'Table'] as const;
const MAX_EXPRESSION = 1000;

export function parseTableMappings(v: unknown, path: string, defined: readonly RuleRef[]): TableMapping[] {
  const list = expectArray(v, path, { min: 1, max: 1000 });
  return list.map((item, i) => {
    const p = `${path}[${i}]`;
    const o = expectObject(item, p, ['SourceObjectSelectionRules', 'TransformationRules', 'TransformationRuleNames']);
    if (o.TransformationRules !== undefined && o.TransformationRuleNames !== undefined) {
      throw new JobInputError(`${p}.TransformationRuleNames`, 'is an alias of TransformationRules; give one of them');
    }
    const refsKey = o.TransformationRuleNames !== undefined ? 'TransformationRuleNames' : 'TransformationRules';
    const rules = expectArray(o.SourceObjectSelectionRules, `${p}.SourceObjectSelectionRules`, { min: 1, max: 100 })
      .map((r, j) => parseSelectionRule(r, `${p}.SourceObjectSelectionRules[${j}]`));
    const refs = (o[refsKey] === undefined ? [] : expectArray(o[refsKey], `${p}.${refsKey}`, { max: 100 })).map((r, j) => {
      const q = `${p}.${refsKey}[${j}]`;
      if (typeof r === 'string') return ruleByName(r, q, defined);
      const ref = expectObject(r, q, ['RuleName', 'RuleActionType', 'RuleTargetType']);
      return {
        RuleName: requireString(ref.RuleName, `${q}.RuleName`, 50),
        RuleActionType: expectEnum(ref.RuleActionType, `${q}.RuleActionType`, RULE_ACTION_TYPES),
        RuleTargetType: expectEnum(ref.RuleTargetType, `${q}.RuleTargetType`, RULE_TARGET_TYPES),
      } satisfies RuleRef;
    });
    rejectDuplicates(refs, ruleKey, (j) => `${p}.${refsKey}[${j}]`, 'the rule reference');
    return { SourceObjectSelectionRules: rules, TransformationRules: refs };
  });
}

/** A reference by RuleName alone (the prose form of TransformationRuleNames): the name must be unambiguous. */
function ruleByName(name: string, path: string, defined: readonly RuleRef[]): RuleRef {
  const found = defined.filter((r) => r.RuleName === name);
  if (found.length === 0) throw new JobInputError(path, `refers to rule ${JSON.stringify(name)}, which TransformationRules does not define`);
  if (found.length > 1) throw new JobInputError(path, `refers to rule ${JSON.stringify(name)}, which names ${found.length} rules; refer to it by RuleName, RuleActionType and RuleTargetType`);
  const { RuleName, RuleActionType, RuleTargetType } = found[0];
  return { RuleName, RuleActionType, RuleTargetType };
}

function parseSelectionRule(v: unknown, path: string): SelectionRule {
  const o = expectObject(v, path, ['ObjectType', 'Action', 'ExpressionType', 'Expression']);
  const rule: SelectionRule = {
    ObjectType: expectEnum(o.ObjectType, `${path}.ObjectType`, OBJECT_TYPES),
    Action: expectEnum(o.Action, `${path}.Action`, ['Include', 'Exclude'] as const),
    ExpressionType: expectEnum(o.ExpressionType, `${path}.ExpressionType`, ['Exact', 'Regex'] as const),
    Expression: requireString(o.Expression, `${path}.Expression`, MAX_EXPRESSION),
  };
  if (rule.ExpressionType === 'Regex') compileRegex(rule.Expression, `${path}.Expression`);
  return rule;
}

/** Regexes match the whole name (like Java's String.matches, which the cloud's expressions follow). */
export function compileRegex(expression: string, path: string): RegExp {
  try {
    return new RegExp(`^(?:${expression})$`, 'u');
  } catch (err) {
    throw new JobInputError(path, `is not a valid regular expression: ${(err as Error).message}`);
  }
}

/**
 * The rules of each mapping, merged: Rename Table / Schema (Database, for a MySQL destination)
 * once each, AddColumn columns added up, one DefinePrimaryKey, HandleDml policies per DML type
 * once, one DefineIncrementalCondition. A reference to a missing rule or a conflict is a 400.
 */
export function mappingRules(mappings: TableMapping[], parsed: Map<string, ParsedRule>, path: string, destination: EngineKind): TableRules[] {
  return mappings.map((m, i) => {
    const out: TableRules = { ...NO_RULES, addColumns: [], dml: { ...NO_RULES.dml } };
    const dmlSet = new Set<string>();
    const once = (field: string, ref: string) => {
      if (dmlSet.has(field)) throw new JobInputError(ref, `is a second ${field} rule for the same tables; give one`);
      dmlSet.add(field);
    };
    m.TransformationRules.forEach((r, j) => {
      const ref = `${path}[${i}].TransformationRules[${j}]`;
      const rule = parsed.get(ruleKey(r));
      if (!rule) throw new JobInputError(ref, `refers to rule ${JSON.stringify(r.RuleName)} (${r.RuleActionType}, ${r.RuleTargetType}), which TransformationRules does not define`);
      switch (rule.type) {
        case 'Rename':
          if (rule.target === 'Table') { once('Rename Table', ref); out.tableName = rule.template; } else {
            once(destination === 'mysql' ? 'Rename Schema/Database' : 'Rename Schema', ref);
            out.schemaName = rule.template;
          }
          break;
        case 'AddColumn':
          for (const c of rule.columns) {
            if (out.addColumns.some((x) => x.name.toLowerCase() === c.name.toLowerCase())) throw new JobInputError(ref, `adds column ${c.name}, which another AddColumn rule of this mapping adds too`);
            out.addColumns.push(c);
          }
          break;
        case 'DefinePrimaryKey': once('DefinePrimaryKey', ref); out.primaryKey = rule.columns; break;
        case 'HandleDml':
          for (const [type, policy] of Object.entries(rule.policies) as [keyof TableRules['dml'], DmlPolicy][]) {
            once(`HandleDml ${type}`, ref);
            out.dml[type] = policy;
          }
          break;
        case 'DefineIncrementalCondition': once('DefineIncrementalCondition', ref); out.rowFilter = { condition: rule.condition, text: rule.text }; break;
      }
    });
    return out;
  });
}
