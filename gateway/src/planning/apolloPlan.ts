/**
 * @apollo/query-planner's QueryPlan as Junction's Plan (plan.ts). Apollo's shapes are nearly ours:
 * its flatten paths are response keys and `@` (type-conditioned paths are off, see loadSupergraph),
 * its rewrite paths spell a type condition `... on T`, and its `requires` fields are read and sent
 * under one key (the alias, when there is one). The operation's parsed form is dropped: it is not
 * plain data, and the operation's text says the same.
 */
import type * as Apollo from '@apollo/query-planner';
import type { DataRewrite, FetchNode, Plan, PlanNode, RequiresSelection, RewriteStep } from './plan';

export function fromApolloPlan(plan: Apollo.QueryPlan): Plan {
  const node = plan.node;
  if (!node) return { kind: 'Plan' };
  if (node.kind === 'Subscription') {
    return { kind: 'Plan', node: { kind: 'Subscription', primary: fetchOf(node.primary), ...(node.rest ? { rest: nodeOf(node.rest) } : {}) } };
  }
  return { kind: 'Plan', node: nodeOf(node) };
}

function nodeOf(node: Apollo.PlanNode): PlanNode {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map(nodeOf) };
    case 'Fetch':
      return fetchOf(node);
    case 'Flatten':
      return { kind: 'Flatten', path: node.path.map(String), node: nodeOf(node.node) };
    case 'Condition':
      return {
        kind: 'Condition',
        condition: node.condition,
        ...(node.ifClause ? { ifClause: nodeOf(node.ifClause) } : {}),
        ...(node.elseClause ? { elseClause: nodeOf(node.elseClause) } : {}),
      };
    case 'Defer':
      return {
        kind: 'Defer',
        primary: { subselection: node.primary.subselection, ...(node.primary.node ? { node: nodeOf(node.primary.node) } : {}) },
        deferred: node.deferred.map((d) => ({ depends: d.depends, label: d.label, queryPath: d.queryPath, subselection: d.subselection, ...(d.node ? { node: nodeOf(d.node) } : {}) })),
      };
  }
}

function fetchOf(fetch: Apollo.FetchNode): FetchNode {
  return {
    kind: 'Fetch',
    serviceName: fetch.serviceName,
    operation: fetch.operation,
    ...(fetch.operationName ? { operationName: fetch.operationName } : {}),
    operationKind: fetch.operationKind,
    variableUsages: fetch.variableUsages ?? [],
    ...(fetch.requires?.length ? { requires: fetch.requires.map(requiresOf) } : {}),
    ...(fetch.inputRewrites?.length ? { inputRewrites: fetch.inputRewrites.map(rewriteOf) } : {}),
    ...(fetch.outputRewrites?.length ? { outputRewrites: fetch.outputRewrites.map(rewriteOf) } : {}),
    ...(fetch.contextRewrites?.length ? { contextRewrites: fetch.contextRewrites.map(rewriteOf) } : {}),
  };
}

function requiresOf(selection: Apollo.QueryPlanSelectionNode): RequiresSelection {
  if (selection.kind === 'Field') {
    const key = selection.alias ?? selection.name;
    return { kind: 'Field', name: key, from: key, ...(selection.selections ? { selections: selection.selections.map(requiresOf) } : {}) };
  }
  return { kind: 'InlineFragment', ...(selection.typeCondition ? { typeCondition: selection.typeCondition } : {}), selections: selection.selections.map(requiresOf) };
}

const FRAGMENT_PREFIX = '... on ';

function rewriteOf(rewrite: Apollo.FetchDataRewrite): DataRewrite {
  const path = rewrite.path.map((step): RewriteStep => (step.startsWith(FRAGMENT_PREFIX) ? { typeCondition: [step.slice(FRAGMENT_PREFIX.length)] } : step));
  return rewrite.kind === 'ValueSetter' ? { kind: 'ValueSetter', path, setValueTo: rewrite.setValueTo } : { kind: 'KeyRenamer', path, renameKeyTo: rewrite.renameKeyTo };
}
